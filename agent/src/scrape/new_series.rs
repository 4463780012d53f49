//! What a new series goes through before relabelling and after: the target's labels merged in
//! (Prometheus' `mutateSampleLabels`, `honor_labels`) and the job's label limits. Runs once per
//! new series, on a scrape-cache miss.

use super::error::ScrapeError;
use crate::labels::Labels;

/// Adds the target's labels to a scraped series as Prometheus' `mutateSampleLabels` does: with
/// `honor_labels` the scraped value wins; without, the target's wins and a clashing scraped
/// label is kept as `exported_<name>` (more `exported_` prefixes until the name is free).
pub fn merge_target_labels(labels: &mut Labels, target: &Labels, honor: bool) {
    let exposed = labels.clone();
    let mut conflicts: Vec<(String, String)> = Vec::new();
    for l in target {
        match exposed.get(&l.name) {
            Some(_) if honor => {}
            Some(v) => {
                conflicts.push((l.name.clone(), v.to_string()));
                labels.set(l.name.clone(), l.value.clone());
            }
            None => labels.set(l.name.clone(), l.value.clone()),
        }
    }
    conflicts.sort_by_key(|(name, _)| name.len());
    for i in 0..conflicts.len() {
        let mut name = conflicts[i].0.clone();
        loop {
            name = format!("exported_{name}");
            let taken = exposed.get(&name).is_some()
                || target.get(&name).is_some()
                || conflicts[..i].iter().any(|(n, _)| *n == name);
            if !taken {
                break;
            }
        }
        conflicts[i].0 = name;
    }
    for (name, value) in conflicts {
        labels.set(name, value);
    }
}

pub fn check_label_limits(labels: &Labels, count: u64, name_len: u64, value_len: u64) -> Result<(), ScrapeError> {
    let metric: String = labels.get("__name__").unwrap_or("").chars().take(50).collect();
    if count > 0 && labels.len() as u64 > count {
        return Err(ScrapeError::LabelLimit(format!(
            "label_limit exceeded (metric: {metric:?}, number of labels: {}, limit: {count})",
            labels.len()
        )));
    }
    for l in labels {
        if name_len > 0 && l.name.len() as u64 > name_len {
            return Err(ScrapeError::LabelLimit(format!(
                "label_name_length_limit exceeded (metric: {metric:?}, label name: {:?}, length: {}, limit: {name_len})",
                l.name,
                l.name.len()
            )));
        }
        if value_len > 0 && l.value.len() as u64 > value_len {
            return Err(ScrapeError::LabelLimit(format!(
                "label_value_length_limit exceeded (metric: {metric:?}, label name: {:?}, value: {:?}, length: {}, limit: {value_len})",
                l.name,
                l.value,
                l.value.len()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(series: &str, target: &str, honor: bool) -> String {
        let mut l = Labels::parse(series).unwrap();
        merge_target_labels(&mut l, &Labels::parse(target).unwrap(), honor);
        l.to_string()
    }

    #[test]
    fn clashing_labels_become_exported_without_honor_labels() {
        assert_eq!(
            merged(r#"{__name__="m",job="x",exported_job="y"}"#, r#"{job="j",instance="i"}"#, false),
            r#"{__name__="m",exported_exported_job="x",exported_job="y",instance="i",job="j"}"#
        );
    }

    #[test]
    fn honor_labels_keeps_scraped_values() {
        assert_eq!(
            merged(r#"{__name__="m",job="x"}"#, r#"{job="j",instance="i"}"#, true),
            r#"{__name__="m",instance="i",job="x"}"#
        );
    }

    #[test]
    fn label_limits_count_the_metric_name() {
        let l = Labels::parse(r#"{__name__="m",a="1"}"#).unwrap();
        assert!(check_label_limits(&l, 2, 0, 0).is_ok());
        assert!(matches!(check_label_limits(&l, 1, 0, 0), Err(ScrapeError::LabelLimit(_))));
        assert!(check_label_limits(&l, 0, 8, 0).is_ok());
        assert!(matches!(check_label_limits(&l, 0, 7, 0), Err(ScrapeError::LabelLimit(_))), "__name__ is 8 long");
        assert!(matches!(check_label_limits(&l, 0, 0, 0), Ok(())));
        let long = Labels::parse(r#"{__name__="m",a="12345"}"#).unwrap();
        assert!(matches!(check_label_limits(&long, 0, 0, 4), Err(ScrapeError::LabelLimit(_))));
    }
}
