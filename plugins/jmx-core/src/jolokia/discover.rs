//! Discovery, rounds 2–4 of a [`super::scrape`] for MBeans not seen before: their attributes'
//! types and descriptions (`list`), their values and open types, and whether a string of an
//! unknown class is an enum; then each MBean's plan for the next scrapes ([`super::needed`]).
//! Also the one extra round trip a planned MBean needs when open data that was `null` at
//! discovery gets a value.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::flatten::Flattener;
use super::kind::AttrKind;
use super::list::Meta;
use super::needed::plan_bean;
use super::open_type::OpenType;
use super::request::{self, Bulk};
use super::scrape::{Run, ScrapeError};
use super::state::{Attr, PlannedBean};
use super::walk::{Gathered, Purpose, flatten_bean, flatten_enum, push_reads, skipped_attr, skipped_bean};
use crate::object_name::ObjectName;
use crate::rules::reach::Reach;

/// Up to this many new MBeans are listed one by one rather than by domain.
const LIST_ONE_BY_ONE: usize = 32;

impl Run<'_, '_> {
    /// Open data that was `null` when its MBean was discovered has no known type; once it has a
    /// value, one more round trip asks for the type, and its MBean is planned again with it.
    pub(super) fn type_new_open_data(
        &mut self,
        plan: &mut [PlannedBean],
        gathered: &mut Gathered,
    ) -> Result<(), ScrapeError> {
        let untyped = |b: &PlannedBean, values: &HashMap<String, Value>| -> Vec<String> {
            let open = b.attrs.iter().filter(|a| a.kind == AttrKind::Open(None));
            open.filter(|a| values.get(&a.name).is_some_and(|v| v.is_object())).map(|a| a.name.clone()).collect()
        };
        let mut bulk = Bulk::default();
        for (i, b) in plan.iter().enumerate() {
            let names = untyped(b, &gathered.values[i]);
            if !names.is_empty() {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                bulk.push(request::read(&b.name, &names, Some(1)), Purpose::Types { bean: i });
            }
        }
        if bulk.is_empty() {
            return Ok(());
        }
        let entries = self.post(&bulk)?;
        let mut reach = Reach::new(self.config);
        for (purpose, entry) in bulk.purposes().iter().zip(entries) {
            let Purpose::Types { bean } = purpose else { continue };
            gathered.take(purpose, &plan[*bean].attrs, entry);
            let asked = untyped(&plan[*bean], &gathered.values[*bean]);
            for a in plan[*bean].attrs.iter_mut().filter(|a| asked.contains(&a.name)) {
                let t = gathered.types[*bean].remove(&a.name).unwrap_or(OpenType::Unknown);
                a.kind = AttrKind::Open(Some(t));
            }
            let Ok(name) = ObjectName::parse(&plan[*bean].name) else { continue };
            let replanned = plan_bean(&mut reach, self.config, &name, &plan[*bean].attrs, &gathered.values[*bean]);
            // A bean no rule can use any more stays until the end of this scrape, unread after.
            plan[*bean].attrs = replanned.map(|p| p.attrs).unwrap_or_default();
        }
        Ok(())
    }

    /// Rounds 2–4 for MBeans not seen before: flattens them and adds their plans to the state.
    pub(super) fn discover(&mut self, flat: &mut Flattener<'_>, names: &[&String]) -> Result<(), ScrapeError> {
        let names: Vec<(&String, ObjectName)> = names
            .iter()
            .filter_map(|n| Some((*n, ObjectName::parse(n).ok()?)))
            .filter(|(_, n)| !skipped_bean(n))
            .collect();
        let meta = self.list(&names)?;
        let mut beans: Vec<(&String, ObjectName, Vec<Attr>)> = Vec::new();
        for (text, name) in names {
            let Some(infos) = meta.bean(&name) else { continue };
            let mut attrs: Vec<Attr> = infos
                .iter()
                .filter(|(a, _)| !skipped_attr(&name, a) && self.config.includes_attribute(text, a))
                .map(|(a, i)| Attr {
                    name: a.clone(),
                    declared: i.java_type.clone(),
                    description: i.description.clone(),
                    kind: AttrKind::of(&i.java_type),
                })
                .collect();
            attrs.sort_by(|a, b| a.name.cmp(&b.name));
            if !attrs.is_empty() {
                beans.push((text, name, attrs));
            }
        }
        // Round 3: the values, and the open types.
        let mut bulk = Bulk::default();
        for (i, (text, _, attrs)) in beans.iter().enumerate() {
            push_reads(&mut bulk, i, text, attrs, true);
        }
        let mut gathered = Gathered::new(beans.len());
        if !bulk.is_empty() {
            let entries = self.post(&bulk)?;
            for (purpose, entry) in bulk.purposes().iter().zip(entries) {
                let bean = match purpose {
                    Purpose::Values { bean } | Purpose::Path { bean, .. } | Purpose::Types { bean } => *bean,
                    _ => continue,
                };
                gathered.take(purpose, &beans[bean].2, entry);
            }
        }
        let mut candidates = Vec::new();
        for (i, (_, name, attrs)) in beans.iter_mut().enumerate() {
            for a in attrs.iter_mut() {
                if let (AttrKind::Open(t @ None), Some(found)) = (&mut a.kind, gathered.types[i].remove(&a.name)) {
                    *t = Some(found);
                }
            }
            let found = flatten_bean(flat, self.config, name, attrs, &gathered.values[i]);
            candidates.extend(found.into_iter().map(|(attr, value)| (i, attr, value)));
        }
        self.confirm_enums(flat, &mut beans, &gathered, candidates)?;
        let mut reach = Reach::new(self.config);
        for (i, (_, name, attrs)) in beans.iter().enumerate() {
            let planned = plan_bean(&mut reach, self.config, name, attrs, &gathered.values[i]);
            self.out.state.plan.extend(planned);
        }
        self.absorb(gathered);
        Ok(())
    }

    /// Round 2: attribute infos of the new MBeans: a few are listed one by one (a webapp, a
    /// request processor Tomcat adds), many by their domains.
    fn list(&mut self, names: &[(&String, ObjectName)]) -> Result<Meta, ScrapeError> {
        let mut bulk = Bulk::default();
        if names.len() <= LIST_ONE_BY_ONE {
            for (i, (_, name)) in names.iter().enumerate() {
                bulk.push(request::list_bean(name), Purpose::ListBean { bean: i });
            }
        } else {
            let domains: BTreeSet<&str> = names.iter().map(|(_, n)| n.domain()).collect();
            for d in domains {
                bulk.push(request::list(d), Purpose::List(d.to_owned()));
            }
        }
        let mut meta = Meta::default();
        let mut gathered = Gathered::default();
        let entries = self.post(&bulk)?;
        for (purpose, entry) in bulk.purposes().iter().zip(entries) {
            match (purpose, gathered.ok_value(entry)) {
                (Purpose::List(domain), Some(value)) => meta.add(domain, &value),
                (Purpose::ListBean { bean }, Some(value)) => meta.add_bean(&names[*bean].1, &value),
                _ => {}
            }
        }
        self.absorb(gathered);
        Ok(meta)
    }

    /// Round 4: Jolokia answers a path equal to an enum's name with the name (`EnumExtractor`),
    /// and anything else (a `toString`, a string) with nothing.
    fn confirm_enums(
        &mut self,
        flat: &mut Flattener<'_>,
        beans: &mut [(&String, ObjectName, Vec<Attr>)],
        gathered: &Gathered,
        candidates: Vec<(usize, usize, String)>,
    ) -> Result<(), ScrapeError> {
        if candidates.is_empty() {
            return Ok(());
        }
        let mut bulk = Bulk::default();
        for (bean, attr, value) in candidates {
            let (text, _, attrs) = &beans[bean];
            let entry = request::read_path(text, &attrs[attr].name, &value, None);
            bulk.push(entry, Purpose::Enum { bean, attr, value });
        }
        let entries = self.post(&bulk)?;
        for (purpose, entry) in bulk.purposes().iter().zip(entries) {
            let Purpose::Enum { bean, attr, value } = purpose else { continue };
            if entry.get("value").and_then(Value::as_str) == Some(value.as_str()) {
                let (_, name, attrs) = &mut beans[*bean];
                attrs[*attr].kind = AttrKind::Enum;
                flatten_enum(flat, self.config, name, &gathered.values[*bean], &attrs[*attr], value);
            }
        }
        Ok(())
    }
}
