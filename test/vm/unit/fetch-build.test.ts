import assert from 'node:assert/strict'
import { test } from 'node:test'
import { headerSupportPackages, parseDepends, parseVersion, releaseFromDepends } from '../../../vm/apt.ts'
import { entryDirName, patchHeadersMakefile } from '../../../vm/kernels.ts'
import { isBuildArtifact } from '../../../vm/module-build.ts'

const image61 = 'linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n'
const headers612 = `linux-headers-6.12.117+deb12-amd64
  Depends: linux-base
  Depends: linux-headers-6.12.117+deb12-common
 |Depends: linux-image-6.12.117+deb12-amd64
  Depends: linux-image-6.12.117+deb12-amd64-unsigned
  Depends: linux-kbuild-6.12.117+deb12
  Depends: gcc-12
  Depends: <some-virtual>
`

test('parseDepends reads Depends and |Depends, skips virtual names', () => {
  assert.deepEqual(parseDepends(image61), ['linux-image-6.1.0-56-amd64'])
  assert.equal(parseDepends(headers612).length, 6)
  assert.ok(!parseDepends(headers612).includes('<some-virtual>'))
  assert.deepEqual(parseDepends('E: No packages found\n'), [])
})

test('releaseFromDepends picks the versioned package', () => {
  assert.equal(releaseFromDepends('linux-image-', parseDepends(image61)), '6.1.0-56-amd64')
  assert.equal(releaseFromDepends('linux-image-', ['linux-image-6.12.117+deb12-amd64']), '6.12.117+deb12-amd64')
  assert.throws(() => releaseFromDepends('linux-image-', ['linux-base']), /no linux-image-<release>/)
})

test('headerSupportPackages finds -common and kbuild, on both layouts', () => {
  assert.deepEqual(headerSupportPackages(parseDepends(headers612)), [
    'linux-headers-6.12.117+deb12-common',
    'linux-kbuild-6.12.117+deb12',
  ])
  const deps61 = ['linux-headers-6.1.0-56-common', 'linux-kbuild-6.1', 'linux-compiler-gcc-12-x86']
  assert.deepEqual(headerSupportPackages(deps61), ['linux-headers-6.1.0-56-common', 'linux-kbuild-6.1'])
  assert.throws(() => headerSupportPackages(['gcc-12']))
})

test('parseVersion reads the first Version field', () => {
  assert.equal(parseVersion('Package: x\nVersion: 6.12.117-1~deb12u1\nArchitecture: amd64\n'), '6.12.117-1~deb12u1')
  assert.throws(() => parseVersion('Package: x\n'))
})

test('cache entry names are path- and make-safe', () => {
  assert.equal(entryDirName('6.12.117+deb12-amd64', '6.12.117-1~deb12u1'), '6.12.117+deb12-amd64_6.12.117-1_deb12u1')
  assert.equal(entryDirName('6.1.0-56-amd64', '1:6.1.192-2'), '6.1.0-56-amd64_1_6.1.192-2')
})

test('patchHeadersMakefile points the include into the tree, idempotently', () => {
  const orig = 'include /usr/src/linux-headers-6.1.0-56-common/Makefile\n'
  const once = patchHeadersMakefile(orig, '/c/x/root')
  assert.equal(once, 'include /c/x/root/usr/src/linux-headers-6.1.0-56-common/Makefile\n')
  assert.equal(patchHeadersMakefile(once, '/c/x/root'), once)
  assert.equal(patchHeadersMakefile(once, '/moved/root'), 'include /moved/root/usr/src/linux-headers-6.1.0-56-common/Makefile\n')
  assert.throws(() => patchHeadersMakefile('all:\n', '/r'))
})

test('in-place kbuild output is not copied into the build dir', () => {
  for (const f of ['main.o', 'krelay.ko', 'krelay.mod', 'krelay.mod.c', '.main.o.cmd', '.write.o.d', 'modules.order', 'Module.symvers']) {
    assert.ok(isBuildArtifact(f), f)
  }
  for (const f of ['main.c', 'krelay.h', 'Makefile', 'Kbuild', 'krelay_abi.h', 'PROTOCOL.md', 'wire.ts']) assert.ok(!isBuildArtifact(f), f)
})
