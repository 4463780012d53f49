//! The core of the `jmx` plugin: MBean attributes read through Jolokia are flattened exactly as
//! the JMX exporter's `JmxScraper` flattens them, then mapped to metrics by the JMX exporter's own
//! rule language (`rules`), so a user's existing `tomcat.yml` gives the same series.
//!
//! The flow of one scrape: [`jolokia::scrape`] asks Jolokia (through the caller's
//! [`jolokia::Jolokia`], the only I/O) for what the rules need, flattens the answers calling a
//! [`Receiver`] once per attribute; [`rules`] is that receiver and prints the exposition. What a
//! scrape learns (the MBeans, how to read them, which ones no rule can use) is kept in a
//! [`jolokia::State`] the caller hands back on the next scrape of the same target.

pub mod jolokia;

/// One attribute value, reduced to the shapes the JMX exporter's rules see once composite and
/// tabular data are flattened.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// A number, with its text as Java's `toString` prints it (`5`, `0.25`, `1.0E-4`): that
    /// text is what a rule's `pattern` sees after `attrName: `.
    Number {
        text: String,
        value: f64,
    },
    Bool(bool),
    /// Any other value (a string, a date, an `ObjectName`): rules may match it, and a rule's
    /// `value:` may turn it into a number; without one it is not exported.
    Text(String),
    /// A `null` attribute.
    Null,
}

impl AttrValue {
    /// The value as Java's `toString` prints it: what a rule's pattern sees after `attrName: `.
    pub fn text(&self) -> String {
        match self {
            AttrValue::Number { text, .. } => text.clone(),
            AttrValue::Bool(b) => b.to_string(),
            AttrValue::Text(s) => s.clone(),
            AttrValue::Null => "null".into(),
        }
    }
}

/// One flattened attribute, the arguments of the JMX exporter's `MBeanReceiver.recordBean`.
#[derive(Clone, Copy, Debug)]
pub struct BeanAttr<'a> {
    /// `Catalina`, `java.lang`, ...
    pub domain: &'a str,
    /// The key properties in the order the MBean's name was written (values as written, quotes
    /// kept), followed by the index columns of tabular data being walked.
    pub bean_properties: &'a [(String, String)],
    /// The bean's `attributesAsLabels` values (`metricCustomizers`): names are the attribute
    /// names, values their `toString`; they join every sample's labels. Usually empty.
    pub attribute_labels: &'a [(String, String)],
    /// Composite and tabular keys walked to reach this value.
    pub attr_keys: &'a [String],
    pub attr_name: &'a str,
    /// The Java type name (`long`, `java.lang.String`, ...), as in `MBeanAttributeInfo.getType`.
    pub attr_type: &'a str,
    /// The attribute's description (`MBeanAttributeInfo.getDescription`), the start of the
    /// default help text.
    pub attr_description: &'a str,
    pub value: &'a AttrValue,
}

/// Receives every flattened attribute of one scrape.
pub trait Receiver {
    fn record_bean(&mut self, attr: &BeanAttr<'_>);
}

pub mod config;
pub mod object_name;
pub mod rules;

pub use config::{ConfigError, JmxConfig};
pub use rules::Collector;
