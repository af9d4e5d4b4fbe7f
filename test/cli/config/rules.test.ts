// The rules only the collector's configuration has: switches, levels, groups, host:port.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { booleanRule, levelRule, listenRule, listenText } from '../../../cli/config/rules.ts'
import { typedValue } from '../../../cli/options.ts'

test('levels: a name or 0-7, as text and as TOML', () => {
  assert.equal(levelRule.parse('emerg'), 0)
  assert.equal(levelRule.parse('debug'), 7)
  assert.equal(levelRule.parse('4'), 4)
  for (const bad of ['8', '-1', 'warn', 'INFO', '04', '']) assert.equal(levelRule.parse(bad), undefined, bad)
  assert.equal(typedValue(levelRule, 'info'), 6)
  assert.equal(typedValue(levelRule, 3), 3)
  for (const bad of ['3', 3.5, 8, true]) assert.equal(typedValue(levelRule, bad), undefined, String(bad))
})

test('switches: booleans in a file, words in the environment', () => {
  assert.equal(typedValue(booleanRule, false), false)
  assert.equal(typedValue(booleanRule, 'false'), undefined, 'a string is not a TOML boolean')
  assert.equal(booleanRule.parse('off'), false)
  assert.equal(booleanRule.parse('TRUE'), undefined)
})

test('host:port: names, IPv4, [IPv6]; the port 0-65535; written back as given', () => {
  for (const [s, host, port] of [['127.0.0.1:9464', '127.0.0.1', 9464], ['[::1]:80', '::1', 80], ['prom-1.example:0', 'prom-1.example', 0], ['[fe80::1]:65535', 'fe80::1', 65535]] as const) {
    assert.deepEqual(listenRule.parse(s), { host, port }, s)
    assert.equal(listenText({ host, port }), s)
  }
  for (const bad of ['9464', ':9464', 'h:', 'h:65536', '[::1]', '::1:80', '[]:80', '[h]:80', 'a b:1', '-h:1', 'h:1e3']) assert.equal(listenRule.parse(bad), undefined, bad)
})
