// kmod/dkms.conf with the real dkms: `dkms add` of the source tree install.sh stages in
// /usr/src, then `dkms build` for the 6.1 and 6.12 kernels whose headers the VM harness
// fetched (KRELAY_VM_CACHE or .cache/vm; setup.sh fetches them). DKMS works in private
// trees (--dkmstree, --sourcetree, --installtree): /var/lib/dkms and /lib/modules are not
// touched. Missing headers fail the test: it does not skip.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { cacheRoot, kernelNames } from '../../vm/config.ts'
import { entryDirName, resolveKernel } from '../../vm/kernels.ts'
import { tempDir } from '../temp-dir.ts'
import { REPO, stageInstall } from '../packaging/stage.ts'

const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version

/** The harness's cache entry for `kernel`, without fetching: absent is a failure that says what to run. */
async function cachedKernel (kernel: (typeof kernelNames)[number]): Promise<{ release: string, headers: string }> {
  const plan = await resolveKernel(kernel)
  const dir = path.join(cacheRoot(), entryDirName(plan.release, plan.version))
  // as vm/kernels.ts lays it out; its fetch pointed the headers' Makefile into the cache
  const headers = path.join(dir, 'root', 'usr', 'src', `linux-headers-${plan.release}`)
  if (!fs.existsSync(path.join(dir, 'complete.json')) || !fs.existsSync(path.join(headers, 'Makefile'))) {
    throw new Error(`no ${kernel} kernel headers (${plan.release}) in ${dir}: fetch them with \`node --import tsx vm/fetch.ts\` (setup.sh does)`)
  }
  return { release: plan.release, headers }
}

function dkms (args: string[]): string {
  const r = spawnSync('dkms', args, { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`dkms ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`)
  return r.stdout
}

const listing = (dir: string): string[] => fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }) as string[] : []

test('dkms.conf names package.json\'s version', () => {
  const conf = fs.readFileSync(path.join(REPO, 'kmod/dkms.conf'), 'utf8')
  assert.match(conf, new RegExp(`^PACKAGE_VERSION="${version.replace(/\./g, '\\.')}"$`, 'm'))
})

test('dkms builds krelay.ko for the 6.1 and 6.12 headers, each with its kernel\'s vermagic', async () => {
  const t0 = Date.now()
  const kernels = await Promise.all(kernelNames.map(cachedKernel))
  const root = stageInstall()
  const work = tempDir('krelay-dkms-')
  fs.mkdirSync(path.join(work, 'dkms'))
  const trees = ['--dkmstree', path.join(work, 'dkms'), '--sourcetree', path.join(root, 'usr/src'), '--installtree', path.join(work, 'modules')]
  process.stderr.write(`kernels resolved: ${Date.now() - t0} ms\n`)
  const varLib = listing('/var/lib/dkms')
  dkms(['add', '-m', 'krelay', '-v', version, ...trees])
  for (const k of kernels) {
    const t0 = Date.now()
    dkms(['build', '-m', 'krelay', '-v', version, '-k', k.release, '--kernelsourcedir', k.headers, ...trees])
    const ko = path.join(work, 'dkms', 'krelay', version, k.release, 'x86_64', 'module', 'krelay.ko')
    assert.ok(fs.existsSync(ko), `dkms build for ${k.release} left no ${ko}`)
    const vermagic = execFileSync('modinfo', ['-F', 'vermagic', ko], { encoding: 'utf8' }).trim()
    assert.match(vermagic, new RegExp(`^${k.release.replace(/[.+]/g, '\\$&')} SMP `), `${ko}: vermagic ${vermagic}`)
    assert.equal(execFileSync('modinfo', ['-F', 'name', ko], { encoding: 'utf8' }).trim(), 'krelay')
    process.stderr.write(`dkms build krelay/${version} for ${k.release}: ${Date.now() - t0} ms\n`)
  }
  assert.match(dkms(['status', '-m', 'krelay', ...trees]), new RegExp(`krelay/${version}, ${kernels[1]!.release.replace(/[.+]/g, '\\$&')}, x86_64: built`))
  assert.deepEqual(listing('/var/lib/dkms'), varLib, 'the system\'s DKMS tree is untouched')
})
