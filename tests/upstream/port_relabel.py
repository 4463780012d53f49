"""Ports Prometheus' relabel test tables to a JSON fixture for scrapelet's relabel tests.

Usage: port_relabel.py PROMETHEUS_CHECKOUT COMMIT > agent/src/relabel/testdata/prometheus-3-relabel.json

Reads model/relabel/relabel_test.go: TestRelabel (input labels, rules, output or dropped),
TestRelabelValidate (a rule and the error it must give, or none) and TestTargetLabelLegacyValidity
(target_label templates valid under legacy names). Each rule becomes the YAML a
user would write (flow style; fields left at Go's zero value are omitted, which gives the same
defaults the Go test fills in).
"""

import json
import sys

from golit import fields, table

ACTIONS = {'Replace', 'Keep', 'Drop', 'KeepEqual', 'DropEqual', 'HashMod', 'LabelMap', 'LabelDrop',
           'LabelKeep', 'Lowercase', 'Uppercase'}


def labels(v):
    if v[0] == 'call' and v[1] == 'labels.FromMap':
        return {k: val for k, val in v[2][0][2]}
    if v[0] == 'call' and v[1] == 'labels.FromStrings':
        a = v[2]
        return {a[i]: a[i + 1] for i in range(0, len(a), 2)}
    if v[0] == 'call' and v[1] == 'labels.EmptyLabels':
        return {}
    raise ValueError(v)


def scheme(v):
    return {'model.UTF8Validation': 'utf8', 'model.LegacyValidation': 'legacy'}[v[1]]


def rule(lit):
    f = fields(lit)
    out = {}
    for key, val in f.items():
        if key == 'SourceLabels':
            out['source_labels'] = [x for _, x in val[2]]
        elif key == 'Regex':
            assert val[0] == 'call' and val[1] == 'MustNewRegexp', val
            if val[2][0] != '':
                out['regex'] = val[2][0]
        elif key == 'Action':
            name = val[1]
            assert name in ACTIONS, name
            out['action'] = name.lower()
        elif key == 'Modulus':
            out['modulus'] = val
        elif key == 'NameValidationScheme':
            out['@validation'] = scheme(val)
        elif key in ('TargetLabel', 'Separator', 'Replacement'):
            if isinstance(val, tuple) and val[1] == 'DefaultRelabelConfig.Replacement':
                val = '$1'
            snake = {'TargetLabel': 'target_label', 'Separator': 'separator', 'Replacement': 'replacement'}[key]
            if val != '':
                out[snake] = val
        else:
            raise ValueError(f'unknown field {key}')
    return out


def yaml_list(rules):
    """The rules as a YAML list; JSON strings are valid YAML double-quoted scalars."""
    lines = []
    for r in rules:
        body = ', '.join(f'{k}: {json.dumps(v, ensure_ascii=False)}' for k, v in r.items() if not k.startswith('@'))
        lines.append('- {' + body + '}')
    return '\n'.join(lines) + '\n'


def fields_of(lit):
    """An unkeyed composite literal's values."""
    return [v for _, v in lit[2]]


def main():
    root, commit = sys.argv[1], sys.argv[2]
    src = open(f'{root}/model/relabel/relabel_test.go', encoding='utf-8').read()
    body = src[src.index('func TestRelabel('):]
    cases = []
    for _, case in table(body, 'tests := []struct {'):
        f = fields(case)
        rules = [rule(r) for _, r in f['relabel'][2]]
        out = None if f.get('drop') == ('ident', 'true') else labels(f['output'])
        cases.append({'input': labels(f['input']), 'rules': yaml_list(rules), 'output': out})
    body = src[src.index('func TestRelabelValidate('):]
    validate = []
    for _, case in table(body, 'tests := []struct {'):
        f = fields(case)
        r = rule(f['config'])
        if 'action' not in r:
            r['action'] = ''  # Go's zero Action: "relabel action cannot be empty".
        validate.append({'validation': r.get('@validation', 'utf8'), 'rules': yaml_list([r]),
                         'error': f.get('expected') or None})
    body = src[src.index('func TestTargetLabelLegacyValidity('):]
    legacy = [{'target': fields_of(c)[0], 'valid': fields_of(c)[1] == ('ident', 'true')}
              for _, c in table(body, 'for _, test := range []struct {')]
    json.dump({'source': f'prometheus/prometheus {commit} model/relabel/relabel_test.go',
               'relabel': cases, 'validate': validate, 'legacy_target': legacy},
              sys.stdout, indent=1, ensure_ascii=False)
    print()


main()
