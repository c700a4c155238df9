import { describe, expect, it } from 'vitest';
import { configHash, mergeConfig, parseConfig, verifyConfig } from '../../src/config/fragments.ts';
import { indexKconfig, missingDependencies } from '../../src/config/kconfig-deps.ts';

const ALLNO = [
  '#',
  '# Automatically generated make config: don\'t edit',
  '#',
  'CONFIG_64BIT=y',
  '# CONFIG_PCI is not set',
  '# CONFIG_BLK_DEV is not set',
  'CONFIG_BLOCK=y',
  '',
].join('\n');

describe('config fragments', () => {
  it('parses y/n/values and "is not set"', () => {
    const f = parseConfig('# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_HZ=250\nCONFIG_S="x y"\n');
    expect([...f.symbols]).toEqual([
      ['A', 'y'],
      ['B', 'n'],
      ['HZ', '250'],
      ['S', '"x y"'],
    ]);
  });

  it('names the line that is not a config line', () => {
    expect(() => parseConfig('CONFIG_A=y\nFOO=bar\n', 'base.config')).toThrow(/base.config:2: not a config line/);
  });

  it('merges in place, appends new symbols, and lets later fragments win', () => {
    const m = mergeConfig(ALLNO, [
      parseConfig('CONFIG_PCI=y\nCONFIG_VIRTIO_BLK=y\n', 'base'),
      parseConfig('# CONFIG_BLOCK is not set\nCONFIG_PCI=n\n', 'later'),
    ]);
    expect(m.text).toContain('# CONFIG_PCI is not set\n');
    expect(m.text).toContain('# CONFIG_BLOCK is not set\n');
    expect(m.text.trimEnd().endsWith('CONFIG_VIRTIO_BLK=y')).toBe(true);
    expect(m.text.match(/CONFIG_PCI/g)).toHaveLength(1);
    expect(m.overrides).toEqual([{ symbol: 'PCI', from: 'y', to: 'n', by: 'later' }]);
  });

  it('reports every requested symbol oldconfig dropped', () => {
    const requested = new Map([
      ['VIRTIO_BLK', 'y'],
      ['PCI', 'y'],
      ['EXT2_FS', 'n'],
    ]);
    expect(verifyConfig('CONFIG_PCI=y\n# CONFIG_VIRTIO_BLK is not set\n', requested)).toEqual([{ symbol: 'VIRTIO_BLK', wanted: 'y', got: 'n' }]);
  });

  it('hashes fragments by name and content, in order', () => {
    const a = { name: 'a', text: 'CONFIG_A=y\n' };
    const b = { name: 'b', text: 'CONFIG_B=y\n' };
    expect(configHash([a, b])).not.toBe(configHash([b, a]));
    expect(configHash([a, b])).toBe(configHash([{ ...a }, { ...b }]));
  });
});

describe('why a symbol did not stick', () => {
  // The shapes that bit 2.6.27 here: virtio is sourced inside "if VIRTUALIZATION",
  // VIRTIO_BLK sits in the BLK_DEV menu, ACPI depends on PM.
  const files: Record<string, string> = {
    'arch/x86/Kconfig': 'config PM\n\tbool "pm"\nconfig ACPI\n\tbool "acpi"\n\tdepends on !X86_VISWS && PCI && PM\nsource "arch/x86/kvm/Kconfig"\nsource "drivers/block/Kconfig"\n',
    'arch/x86/kvm/Kconfig': 'menuconfig VIRTUALIZATION\n\tbool "v"\nif VIRTUALIZATION\nconfig KVM\n\tbool "kvm"\nsource drivers/virtio/Kconfig\nendif # VIRTUALIZATION\n',
    'drivers/virtio/Kconfig': 'config VIRTIO\n\tbool\nconfig VIRTIO_PCI\n\tbool "virtio pci"\n\tdepends on PCI && EXPERIMENTAL\n\tselect VIRTIO\n',
    'drivers/block/Kconfig': 'menuconfig BLK_DEV\n\tbool "block devices"\n\tdepends on BLOCK\nif BLK_DEV\nconfig VIRTIO_BLK\n\ttristate "Virtio block driver"\n\tdepends on EXPERIMENTAL && VIRTIO\nendif\n',
  };
  const read = async (p: string) => files[p];

  it('follows source inside an if, and menu conditions', async () => {
    const index = await indexKconfig('arch/x86/Kconfig', read);
    expect(index.get('VIRTIO_PCI')!.conditions).toEqual(['VIRTUALIZATION', 'PCI && EXPERIMENTAL']);
    expect(index.get('VIRTIO')!.selectedBy).toEqual(['VIRTIO_PCI']);
    const final = new Map([
      ['PCI', 'y'],
      ['BLOCK', 'y'],
      ['EXPERIMENTAL', 'y'],
      ['VIRTIO', 'y'],
    ]);
    expect(missingDependencies(index, 'VIRTIO_BLK', final)).toEqual(['BLK_DEV']);
    expect(missingDependencies(index, 'VIRTIO_PCI', final)).toEqual(['VIRTUALIZATION']);
    expect(missingDependencies(index, 'ACPI', final)).toEqual(['PM']);
    expect(missingDependencies(index, 'UNKNOWN', final)).toEqual([]);
  });
});
