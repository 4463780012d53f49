//! One flattened attribute against the rules: `JmxCollector.Receiver.recordBean` and
//! `defaultExport` of jmx_exporter 1.x (`collector/src/main/java/io/prometheus/jmx/JmxCollector.java`,
//! the version with `inferCounterTypeFromName`). The input string is
//! `domain<k=v, ...><key, ...>attrName: value`; the first rule whose pattern matches decides,
//! even when it then yields nothing (value not a number, empty name).

use super::names::{java_parse_double, sanitize_metric_name, to_safe_name, to_snake_and_lower_case};
use super::pattern::Captures;
use super::replace::{ReplaceError, expand};
use crate::config::{JmxConfig, Rule};
use crate::{AttrValue, BeanAttr};

/// One matched sample, as `MatchedRule` holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// After `sanitizeMetricName` (no `_total`/`_info`/... suffix).
    pub name: String,
    /// The string the rule matched, used for `_objectname` on duplicate label sets.
    pub match_name: String,
    pub metric_type: String,
    pub help: String,
    /// Sorted by name, as `Labels.of` sorts them.
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Why an attribute gave no sample.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    NoRuleMatched,
    /// Not a number or boolean, or the `value:` replacement did not parse.
    NotANumber,
    EmptyName,
    /// Java throws here and the rest of that scrape is lost; we skip one attribute.
    BadReplacement(ReplaceError),
    DuplicateLabelName(String),
}

impl From<ReplaceError> for Skip {
    fn from(e: ReplaceError) -> Skip {
        Skip::BadReplacement(e)
    }
}

/// What all rules see of one attribute.
pub(crate) struct Input<'a> {
    pub attr: &'a BeanAttr<'a>,
    props: Vec<(&'a str, &'a str)>,
    /// `domain<k=v, ...><key, ...>`, the start of every match string.
    pub bean_name: String,
    help: String,
    pub value_text: String,
}

/// Matches one attribute as `recordBean` does.
pub fn record(config: &JmxConfig, attr: &BeanAttr<'_>) -> Result<Sample, Skip> {
    let input = Input::new(attr);
    let decision = decide(config, &input);
    finish(config, decision.outcome, attr.value)
}

/// The rule that decided, its sample before the value step and the `value:` result.
pub(crate) type Outcome = Result<(Sample, Option<f64>, usize), Skip>;

/// What the rules decided for one attribute, before its value is applied.
pub(crate) struct Decision {
    pub outcome: Outcome,
    /// Only `cache: true` rules were tried: the outcome cannot depend on the value.
    pub value_independent: bool,
}

/// The rule loop of `recordBean`: the first rule whose pattern matches decides.
pub(crate) fn decide(config: &JmxConfig, input: &Input<'_>) -> Decision {
    // JmxScraper.processBeanValue never passes a null on to recordBean.
    if *input.attr.value == AttrValue::Null {
        return Decision { outcome: Err(Skip::NotANumber), value_independent: false };
    }
    let mut value_independent = true;
    // The (attribute name, match string) variants rules ask for, built once each.
    let mut variants: [Option<(String, String)>; 4] = Default::default();
    for (index, rule) in config.rules.iter().enumerate() {
        value_independent &= rule.cache;
        let slot = usize::from(rule.attr_name_snake_case) * 2 + usize::from(rule.cache);
        let (attr_name, match_name) = variants[slot].get_or_insert_with(|| match_string(input, rule));
        let caps = match &rule.pattern {
            Some(p) => match p.captures(match_name) {
                Some(c) => Some(c),
                None => continue,
            },
            None => None,
        };
        let outcome = apply(config, rule, input, attr_name, match_name, caps.as_ref())
            .map(|(sample, value)| (sample, value, index));
        return Decision { outcome, value_independent };
    }
    Decision { outcome: Err(Skip::NoRuleMatched), value_independent }
}

/// `beanName + attrName + ": " + value` as the rule sees it (snake case, `<cache>`).
fn match_string(input: &Input<'_>, rule: &Rule) -> (String, String) {
    let attr_name = rule_attr_name(rule, input.attr.attr_name);
    let value = if rule.cache { "<cache>" } else { &input.value_text };
    let match_name = format!("{}{attr_name}: {value}", input.bean_name);
    (attr_name, match_name)
}

/// The value step of a decision, against this scrape's value.
pub(crate) fn finish(config: &JmxConfig, outcome: Outcome, bean: &AttrValue) -> Result<Sample, Skip> {
    let (sample, value, index) = outcome?;
    finish_value((sample, value), &config.rules[index], bean)
}

/// `domain<k=v, ...><key, ...>`: the start of every rule's match string for an attribute of this
/// bean (`beanProperties` as a `LinkedHashMap` prints them, attribute keys as a `List`).
pub(crate) fn bean_name(domain: &str, props: &[(&str, &str)], attr_keys: &[String]) -> String {
    let joined: Vec<String> = props.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{domain}<{}><{}>", joined.join(", "), attr_keys.join(", "))
}

/// The attribute name a rule sees (`attrNameSnakeCase`).
pub(crate) fn rule_attr_name(rule: &Rule, attr_name: &str) -> String {
    match rule.attr_name_snake_case {
        true => to_snake_and_lower_case(attr_name),
        false => attr_name.to_owned(),
    }
}

impl<'a> Input<'a> {
    pub fn new(attr: &'a BeanAttr<'a>) -> Input<'a> {
        let props = linked_hash_map(attr.bean_properties);
        let bean_name = bean_name(attr.domain, &props, attr.attr_keys);
        let get = |key: &str| props.iter().find(|(k, _)| *k == key).map_or("null", |(_, v)| *v);
        let mut help =
            format!("{}:name={},type={},attribute={}", attr.domain, get("name"), get("type"), attr.attr_name);
        // An empty description stands for Java's null (Jolokia cannot tell them apart).
        if !attr.attr_description.is_empty() && attr.attr_description != attr.attr_name {
            help = format!("{} {help}", attr.attr_description);
        }
        let value_text = attr.value.text();
        Input { attr, props, bean_name, help, value_text }
    }
}

/// `LinkedHashMap.put` order: a repeated key keeps its first place and takes the last value.
pub(crate) fn linked_hash_map(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match out.iter_mut().find(|(ok, _)| ok == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

/// The sample a matching rule makes, before its value is known.
fn apply(
    config: &JmxConfig,
    rule: &Rule,
    input: &Input<'_>,
    attr_name: &str,
    match_name: &str,
    caps: Option<&Captures<'_>>,
) -> Result<(Sample, Option<f64>), Skip> {
    let replace = |r: &str| caps.map_or(Ok(r.to_owned()), |c| expand(r, c, match_name));
    let value = match rule.value.as_deref() {
        Some(v) if !v.is_empty() => Some(java_parse_double(&replace(v)?).ok_or(Skip::NotANumber)?),
        _ => None,
    };
    let Some(name_replacement) = &rule.name else {
        return Ok((default_export(config, rule, input, attr_name, match_name)?, value));
    };
    let mut name = to_safe_name(&replace(name_replacement)?);
    if name.is_empty() {
        return Err(Skip::EmptyName);
    }
    if config.lowercase_output_name {
        name = name.to_lowercase();
    }
    let help = match &rule.help {
        Some(h) => replace(h)?,
        None => input.help.clone(),
    };
    let mut labels = attribute_labels(config, input);
    for (n, v) in &rule.labels {
        let mut label = to_safe_name(&replace(n)?);
        let value = replace(v)?;
        if config.lowercase_output_label_names {
            label = label.to_lowercase();
        }
        if !label.is_empty() && !value.is_empty() {
            labels.push((label, value));
        }
    }
    let sample = new_sample(config, rule, name, match_name, help, labels)?;
    Ok((sample, value))
}

/// `defaultExport`: `domain_firstValue_attrKeys_attrName`, the other properties as labels.
fn default_export(
    config: &JmxConfig,
    rule: &Rule,
    input: &Input<'_>,
    attr_name: &str,
    match_name: &str,
) -> Result<Sample, Skip> {
    let mut name = input.attr.domain.to_owned();
    if let Some((_, first)) = input.props.first() {
        name.push('_');
        name.push_str(first);
    }
    for key in input.attr.attr_keys {
        name.push('_');
        name.push_str(key);
    }
    name.push('_');
    name.push_str(attr_name);
    let mut name = to_safe_name(&name);
    if config.lowercase_output_name {
        name = name.to_lowercase();
    }
    let labels = input.props.iter().skip(1).map(|(k, v)| {
        let label = to_safe_name(k);
        let label = if config.lowercase_output_label_names { label.to_lowercase() } else { label };
        (label, v.to_string())
    });
    let labels = labels.chain(attribute_labels(config, input)).collect();
    new_sample(config, rule, name, match_name, input.help.clone(), labels)
}

/// `addAttributesAsLabelsWithValuesToLabels`: safe, optionally lowercased names, raw values.
fn attribute_labels(config: &JmxConfig, input: &Input<'_>) -> Vec<(String, String)> {
    let label = |n: &str| match config.lowercase_output_label_names {
        true => to_safe_name(n).to_lowercase(),
        false => to_safe_name(n),
    };
    input.attr.attribute_labels.iter().map(|(n, v)| (label(n), v.clone())).collect()
}

/// `new MatchedRule(...)`: counter inference, `sanitizeMetricName`, `Labels.of`.
fn new_sample(
    config: &JmxConfig,
    rule: &Rule,
    name: String,
    match_name: &str,
    help: String,
    mut labels: Vec<(String, String)>,
) -> Result<Sample, Skip> {
    let metric_type = match config.infer_counter_type_from_name && name.ends_with("_total") {
        true => "COUNTER".to_owned(),
        false => rule.metric_type.clone(),
    };
    labels.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = labels.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Skip::DuplicateLabelName(w[0].0.clone()));
    }
    let name = sanitize_metric_name(&name);
    let match_name = match_name.to_owned();
    Ok(Sample { name, match_name, metric_type, help, labels, value: 0.0 })
}

/// The value step after the loop: the `value:` result or the bean's number, times
/// `valueFactor`; booleans are 1 or 0 (no factor); anything else is skipped.
fn finish_value((mut sample, value): (Sample, Option<f64>), rule: &Rule, bean: &AttrValue) -> Result<Sample, Skip> {
    sample.value = match (value, bean) {
        (Some(v), _) => v * rule.value_factor,
        (None, AttrValue::Number { value, .. }) => value * rule.value_factor,
        (None, AttrValue::Bool(b)) => f64::from(u8::from(*b)),
        _ => return Err(Skip::NotANumber),
    };
    Ok(sample)
}
