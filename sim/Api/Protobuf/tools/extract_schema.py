#!/usr/bin/env python3
"""Regenerates ../KubeSchemaTable.cs from the protobuf descriptors compiled into a kubectl binary.

Kubernetes' Go types embed their generated.proto as gzipped FileDescriptorProtos (gogo registers them), and the
struct tags next to them carry the JSON names, `omitempty` and `,inline`. Reading both from the kubectl the sim is
tested with gives field numbers that match what that kubectl sends, without shipping Kubernetes' .proto files.

    python3 extract_schema.py /usr/lib/google-cloud-sdk/bin/kubectl.1.32 > ../KubeSchemaTable.cs
"""
import re
import sys
import zlib

TYPE_NAMES = {3: 'int64', 5: 'int32', 8: 'bool', 9: 'string', 11: 'message', 12: 'bytes'}
NULLABLE, CUSTOMNAME, MAP_ENTRY = 65001, 65004, 7

PACKAGES = {
    '.k8s.io.apimachinery.pkg.apis.meta.v1': 'meta', '.k8s.io.api.core.v1': 'core', '.k8s.io.api.apps.v1': 'apps',
    '.k8s.io.api.batch.v1': 'batch', '.k8s.io.api.rbac.v1': 'rbac', '.k8s.io.api.authorization.v1': 'authorization',
    '.k8s.io.api.authentication.v1': 'authentication', '.k8s.io.api.policy.v1': 'policy',
    '.k8s.io.api.scheduling.v1': 'scheduling', '.k8s.io.api.storage.v1': 'storage',
    '.k8s.io.api.discovery.v1': 'discovery', '.k8s.io.api.networking.v1': 'networking',
    '.k8s.io.api.coordination.v1': 'coordination', '.k8s.io.api.events.v1': 'events',
    '.k8s.io.api.admissionregistration.v1': 'admissionregistration', '.k8s.io.api.autoscaling.v1': 'autoscaling',
}

# Types whose Go JSON form is not an object; the decoder knows them by these names.
SPECIAL = {
    '.k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'time',
    '.k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'microtime',
    '.k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'duration',
    '.k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
    '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intorstring',
    '.k8s.io.apimachinery.pkg.runtime.RawExtension': 'rawjson',
    '.k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'rawjson',
    '.k8s.io.api.authorization.v1.ExtraValue': 'stringlist',
    '.k8s.io.api.authentication.v1.ExtraValue': 'stringlist',
}

ROOTS = [
    ('v1', 'core', ['Namespace', 'Node', 'Pod', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'ServiceAccount', 'Event',
                    'PersistentVolumeClaim', 'PersistentVolume', 'ResourceQuota', 'LimitRange',
                    'ReplicationController', 'Binding']),
    ('apps/v1', 'apps', ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'ControllerRevision']),
    ('batch/v1', 'batch', ['Job', 'CronJob']),
    ('coordination.k8s.io/v1', 'coordination', ['Lease']),
    ('events.k8s.io/v1', 'events', ['Event']),
    ('rbac.authorization.k8s.io/v1', 'rbac', ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']),
    ('admissionregistration.k8s.io/v1', 'admissionregistration',
     ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']),
    ('authorization.k8s.io/v1', 'authorization',
     ['SubjectAccessReview', 'SelfSubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview']),
    ('authentication.k8s.io/v1', 'authentication', ['TokenReview', 'SelfSubjectReview', 'TokenRequest']),
    ('policy/v1', 'policy', ['PodDisruptionBudget', 'Eviction']),
    ('scheduling.k8s.io/v1', 'scheduling', ['PriorityClass']),
    ('storage.k8s.io/v1', 'storage', ['StorageClass']),
    ('discovery.k8s.io/v1', 'discovery', ['EndpointSlice']),
    ('networking.k8s.io/v1', 'networking', ['Ingress', 'NetworkPolicy']),
    ('autoscaling/v1', 'autoscaling', ['Scale']),
]

# Zero is meaningful here although the struct tags cannot say so unambiguously (the same tag text is shared).
KEEP_ZERO = {('autoscaling.ScaleSpec', 'replicas'), ('core.EventSeries', 'count'), ('events.EventSeries', 'count')}


def varint(b, i):
    value, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return value, i


def fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = varint(b, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(b, i)
        elif wire == 2:
            length, i = varint(b, i)
            value, i = b[i:i + length], i + length
        elif wire == 1:
            value, i = b[i:i + 8], i + 8
        elif wire == 5:
            value, i = b[i:i + 4], i + 4
        else:
            raise ValueError('wire type %d' % wire)
        out.append((number, value))
    return out


def parse_field(b):
    f = {'nullable': True}
    for n, v in fields(b):
        if n == 1: f['name'] = v.decode()
        elif n == 3: f['number'] = v
        elif n == 4: f['repeated'] = v == 3
        elif n == 5: f['type'] = TYPE_NAMES[v]
        elif n == 6: f['type_name'] = v.decode()
        elif n == 8:
            for on, ov in fields(v):
                if on == NULLABLE: f['nullable'] = bool(ov)
                elif on == CUSTOMNAME: f['customname'] = ov.decode()
    return f


def parse_message(b, prefix, out):
    name, nested, msg = None, [], {'fields': [], 'map_entry': False}
    for n, v in fields(b):
        if n == 1: name = v.decode()
        elif n == 2: msg['fields'].append(parse_field(v))
        elif n == 3: nested.append(v)
        elif n == 7: msg['map_entry'] = any(on == MAP_ENTRY and ov for on, ov in fields(v))
    full = prefix + '.' + name
    out[full] = msg
    for nb in nested:
        parse_message(nb, full, out)


def load_descriptors(binary):
    messages = {}
    for m in re.finditer(b'\x1f\x8b\x08\x00\x00\x00\x00\x00', binary):
        try:
            out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(binary[m.start():m.start() + 4000000])
        except zlib.error:
            continue
        if b'generated.proto' not in out[:200]:
            continue
        package, raw = None, []
        for n, v in fields(out):
            if n == 2: package = v.decode()
            elif n == 4: raw.append(v)
        for r in raw:
            parse_message(r, '.' + package, messages)
    return messages


def main(path):
    binary = open(path, 'rb').read()
    messages = load_descriptors(binary)
    tags = set(re.findall(
        rb'json:"([A-Za-z0-9-]*)(,[a-z,]*)?" protobuf:"(varint|bytes),(\d+),(?:opt|rep),name=([A-Za-z0-9]+)', binary))
    renamed = {(t[4].decode(), int(t[3])): t[0].decode() for t in tags if t[0] and t[0] != b'-' and t[0] != t[4]}
    inline = {t.decode() for t in re.findall(
        rb'json:",inline" protobuf:"bytes,\d,(?:opt,)?name=([A-Za-z]+)"', binary)} | {'ephemeralContainerCommon'}
    by_alias = {v: k for k, v in PACKAGES.items()}

    def short(full):
        if full in SPECIAL: return SPECIAL[full]
        for prefix, alias in PACKAGES.items():
            if full.startswith(prefix + '.'): return alias + '.' + full[len(prefix) + 1:]
        raise ValueError('no alias for ' + full)

    order, seen = [], set()

    def visit(full):
        if full in SPECIAL or full in seen: return
        seen.add(full)
        order.append(full)
        for f in messages[full]['fields']:
            if f['type'] != 'message': continue
            target = messages[f['type_name']]
            if target['map_entry']:
                for ef in target['fields']:
                    if ef['type'] == 'message': visit(ef['type_name'])
            else:
                visit(f['type_name'])

    for _, alias, kinds in ROOTS:
        for k in kinds: visit(by_alias[alias] + '.' + k)
    visit('.k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions')

    def keeps_zero_by_tag(f):
        wire = 'varint' if f['type'] in ('int32', 'int64', 'bool') else 'bytes'
        omit = {bool(t[1] and b'omitempty' in t[1]) for t in tags
                if t[0].decode() == f['name'] and t[2].decode() == wire and int(t[3]) == f['number']
                and t[4].decode() == f['name']}
        return omit == {False}

    def type_of(f):
        if f['type'] != 'message':
            return ('[]' if f.get('repeated') else '') + f['type']
        target = messages[f['type_name']]
        if target['map_entry']:
            v = [x for x in target['fields'] if x['number'] == 2][0]
            return 'map<string,%s>' % (short(v['type_name']) if v['type'] == 'message' else v['type'])
        return ('[]' if f.get('repeated') else '') + short(f['type_name'])

    lines = []
    for version, alias, kinds in ROOTS:
        for k in kinds: lines.append('kind %s %s = %s.%s' % (version, k, alias, k))
    lines.append('kind * DeleteOptions = meta.DeleteOptions')
    for full in order:
        name = short(full)
        lines.append('')
        lines.append('message ' + name)
        for f in sorted(messages[full]['fields'], key=lambda x: x['number']):
            json_name = renamed.get((f['name'], f['number']), f['name'])
            single = not f.get('repeated')
            special = f['type'] == 'message' and f['type_name'] in SPECIAL
            suffix = ''
            if single and (f['type'] != 'message' or special):
                if f['nullable']: suffix = '?'
                elif f['type'] in ('int32', 'int64', 'bool') and keeps_zero_by_tag(f): suffix = '!'
            if (name, f['name']) in KEEP_ZERO: suffix = '!'
            is_map = f['type'] == 'message' and messages[f['type_name']]['map_entry']
            if (f['type'] == 'message' and not special and not is_map and f['name'] in inline
                    and f.get('customname') == f['type_name'].rsplit('.', 1)[1]):
                json_name = 'inline'
            lines.append('  %d %s %s%s' % (f['number'], json_name, type_of(f), suffix))

    print('// <auto-generated> by tools/extract_schema.py from the descriptors in kubectl 1.32; do not edit by hand.')
    print('// Format: "kind <apiVersion> <Kind> = <message>", then "message <name>" blocks of')
    print('// "<field number> <JSON name | inline> <type>", type suffix ? = kept when zero (Go pointer),')
    print('// ! = kept when zero (JSON without omitempty); otherwise zero values are left out as Go\'s omitempty would.')
    print('// </auto-generated>')
    print('namespace Runai.Sim.Api.Protobuf;')
    print()
    print('internal static class KubeSchemaTable')
    print('{')
    print('    public const string Text = """')
    for line in lines:
        print(('        ' + line) if line else '')
    print('        """;')
    print('}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '/usr/lib/google-cloud-sdk/bin/kubectl.1.32')
