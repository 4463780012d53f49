"""Ports Prometheus' text-format parser test tables to a JSON fixture for scrapelet's parser tests.

Usage: port_textparse.py PROMETHEUS_CHECKOUT COMMIT > agent/src/scrape/parse/testdata/prometheus-3-textparse.json

Reads model/textparse/{promparse,openmetricsparse}_test.go: TestPromParse, TestUTF8PromParse,
TestOpenMetricsParse, TestOpenMetricsParse_UTF8 (a body and the entries it parses into, with
type-and-unit labels off, as in Prometheus' default scrape) and TestPromParseErrors /
TestOpenMetricsParseErrors (bodies that must fail). Entries keep what scrapelet's parser reports:
help (unescaped as Prometheus' Help() does), type, unit, and samples with their raw series,
labels, value, timestamp and exemplar; comments are left out (scrapelet skips them).
"""

import json
import math
import sys

from golit import Parser, fields, table


def body_of(src, func):
    start = src.index(f'func {func}(')
    end = src.find('\nfunc ', start + 1)
    return src[start:end if end > 0 else len(src)]


def input_of(body):
    """`input := <expr>` plus every `input += <expr>` before the expectations."""
    text = None
    i = body.index('input :=')
    while True:
        p = Parser(body[i:].split(':=', 1)[1] if text is None else body[i:].split('+=', 1)[1])
        v = p.value()
        text = v if text is None else text + v
        nxt = body.find('input +=', i + 8)
        exp = body.find('exp := ', i)
        if nxt < 0 or (0 <= exp < nxt):
            return text
        i = nxt


def text(v):
    """A label value: a string, or `string(model.MetricTypeX)`."""
    if isinstance(v, str):
        return v
    if v[0] == 'call' and v[1] == 'string' and v[2][0][1].startswith('model.MetricType'):
        return v[2][0][1].removeprefix('model.MetricType').lower()
    raise ValueError(v)


def labels(v):
    name = v[1]
    if name == 'labels.FromStrings':
        a = v[2]
        return {a[i]: text(a[i + 1]) for i in range(0, len(a), 2)}
    if name == 'typeAndUnitLabels':
        return labels(v[2][2])  # type-and-unit labels disabled
    if name == 'todoDetectFamilySwitch':
        return labels(v[2][1])
    if name == 'labels.EmptyLabels':
        return {}
    raise ValueError(v)


def number(v):
    if isinstance(v, (int, float)):
        return float(v)
    if v[0] == 'call' and v[1] == 'math.Inf':
        return math.inf if v[2][0] >= 0 else -math.inf
    if v[0] == 'call' and v[1] in ('math.NaN', 'math.Float64frombits'):
        return 'NaN'
    if v[0] == 'call' and v[1] in ('float64', 'int64', 'int64p'):
        return number(v[2][0])
    raise ValueError(v)


def js_float(f):
    if f == 'NaN':
        return 'NaN'
    if math.isinf(f):
        return '+Inf' if f > 0 else '-Inf'
    return f


def entry(lit):
    f = fields(lit)
    if 'comment' in f:
        return None
    m = f['m']
    if 'help' in f:
        return {'help': m, 'text': f['help']}
    if 'typ' in f:
        return {'type': m, 'kind': f['typ'][1].removeprefix('model.MetricType').lower()}
    if 'unit' in f:
        return {'unit': m, 'text': f['unit']}
    out = {'series': m, 'value': js_float(number(f.get('v', 0))), 'labels': labels(f['lset'])}
    if 't' in f:
        out['t'] = int(number(f['t']))
    if 'es' in f:
        ex = fields(f['es'][2][0][1])
        out['exemplar'] = {'labels': labels(ex['Labels']), 'value': js_float(number(ex['Value']))}
        if ex.get('HasTs') == ('ident', 'true'):
            out['exemplar']['t'] = int(number(ex['Ts']))
    return out


def parse_case(src, func, fmt):
    body = body_of(src, func)
    text = input_of(body)
    exp_at = body.index('exp := []parsedEntry{')
    items = Parser(body[exp_at + len('exp := []parsedEntry'):]).composite(None)[2]
    entries = [e for e in (entry(v) for _, v in items) if e is not None]
    skip_st = 'WithOMParserSTSeriesSkipped()' in body
    return {'name': func, 'format': fmt, **body_field(text), 'skip_created': skip_st, 'entries': entries}


def body_field(text):
    """`body` for valid UTF-8, else `body_hex` (the Go tables feed some invalid bytes)."""
    raw = text.encode('utf-8', errors='surrogateescape')
    try:
        return {'body': raw.decode('utf-8')}
    except UnicodeDecodeError:
        return {'body_hex': raw.hex()}


def error_cases(src, func, fmt):
    body = body_of(src, func)
    out = []
    for _, c in table(body, 'cases := []struct {'):
        f = fields(c)
        # `EOF` is the parser's io.EOF: the body is valid.
        err = None if f['err'] == 'EOF' else f['err']
        out.append({'name': func, 'format': fmt, **body_field(f['input']), 'error': err})
    return out


def main():
    root, commit = sys.argv[1], sys.argv[2]
    prom = open(f'{root}/model/textparse/promparse_test.go', encoding='utf-8').read()
    om = open(f'{root}/model/textparse/openmetricsparse_test.go', encoding='utf-8').read()
    parses = [
        parse_case(prom, 'TestPromParse', 'text'),
        parse_case(prom, 'TestUTF8PromParse', 'text'),
        parse_case(om, 'TestOpenMetricsParse', 'openmetrics'),
        parse_case(om, 'TestOpenMetricsParse_UTF8', 'openmetrics'),
    ]
    errors = error_cases(prom, 'TestPromParseErrors', 'text') + error_cases(om, 'TestOpenMetricsParseErrors', 'openmetrics')
    json.dump({'source': f'prometheus/prometheus {commit} model/textparse', 'parse': parses, 'errors': errors},
              sys.stdout, indent=1, ensure_ascii=False)
    print()


main()
