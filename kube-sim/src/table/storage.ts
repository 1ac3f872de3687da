import {
  AGE_COLUMN,
  arr,
  at,
  column,
  type Json,
  NAME_COLUMN,
  type Printer,
  rec,
  since,
  str,
} from './format.ts';

/** Table printers for persistent volumes and their claims. */

const age = (o: Json, now: number): string => since(at(o, 'metadata', 'creationTimestamp'), now);
const name = (o: Json): string => str(at(o, 'metadata', 'name'));

/** helper.GetAccessModesAsString */
function accessModes(modes: unknown): string {
  const have = new Set(arr(modes).map(str));
  const short: [string, string][] = [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ];
  return short
    .filter(([m]) => have.has(m))
    .map(([, s]) => s)
    .join(',');
}

const storageClass = (o: Json): string =>
  str(at(o, 'metadata', 'annotations', 'volume.beta.kubernetes.io/storage-class')) ||
  str(at(o, 'spec', 'storageClassName'));
const deletingPhase = (o: Json): string =>
  at(o, 'metadata', 'deletionTimestamp') !== undefined ? 'Terminating' : str(at(o, 'status', 'phase'));
const VOLUME_MODE = column(
  'VolumeMode',
  'string',
  'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
  1,
);
const VAC = (what: string) =>
  column('VolumeAttributesClass', 'string', `VolumeAttributesClass of the ${what}`);

const pvcs: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column(
      'Volume',
      'string',
      'volumeName is the binding reference to the PersistentVolume backing this claim.',
    ),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column(
      'Access Modes',
      'string',
      'accessModes contains the actual access modes the volume backing the PVC has.',
    ),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    VAC('pvc'),
    AGE_COLUMN,
    VOLUME_MODE,
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const bound = str(spec['volumeName']) !== '';
    return {
      cells: [
        name(o),
        deletingPhase(o),
        str(spec['volumeName']),
        bound ? str(at(o, 'status', 'capacity', 'storage')) : '',
        bound ? accessModes(at(o, 'status', 'accessModes')) : '',
        storageClass(o),
        str(spec['volumeAttributesClassName']) || '<unset>',
        age(o, now),
        str(spec['volumeMode']) || '<unset>',
      ],
    };
  },
};

const pvs: Printer = {
  columns: [
    NAME_COLUMN,
    column(
      'Capacity',
      'string',
      "capacity is the description of the persistent volume's resources and capacity.",
    ),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column(
      'Reclaim Policy',
      'string',
      'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
    ),
    column(
      'Status',
      'string',
      'phase indicates if a volume is available, bound to a claim, or released by a claim.',
    ),
    column(
      'Claim',
      'string',
      'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
    ),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    VAC('pv'),
    column(
      'Reason',
      'string',
      'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
    ),
    AGE_COLUMN,
    VOLUME_MODE,
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const claim = rec(spec['claimRef']);
    return {
      cells: [
        name(o),
        str(at(spec, 'capacity', 'storage')) || '0',
        accessModes(spec['accessModes']),
        str(spec['persistentVolumeReclaimPolicy']),
        deletingPhase(o),
        spec['claimRef'] === undefined ? '' : `${str(claim['namespace'])}/${str(claim['name'])}`,
        storageClass(o),
        str(spec['volumeAttributesClassName']) || '<unset>',
        str(at(o, 'status', 'reason')),
        age(o, now),
        str(spec['volumeMode']) || '<unset>',
      ],
    };
  },
};

/** printers keyed by group-resource */
export const STORAGE_PRINTERS: Readonly<Record<string, Printer>> = {
  persistentvolumeclaims: pvcs,
  persistentvolumes: pvs,
};
