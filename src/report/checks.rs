//! Summary figures drawn from the checkers' findings: the Dynamo paper's
//! versions table (§6.3) beside the raw sibling counts, and the shopping
//! cart's anomalies (resurrections, lost adds) with the run's names.

use crate::check::Findings;
use crate::id::Names;
use crate::node::NodeStats;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `versions` key of `summary.json`: the share of ok gets that found
/// the key by how many versions they returned, as the paper's §6.3 reports
/// it (99.94% saw one version). Gets that found nothing are left out.
#[derive(Clone, Debug, Serialize)]
pub struct Versions {
    /// `{"1": share, "2": share, "3": share, "4+": share}`; all four keys
    /// always, each 0 without a counted get.
    pub shares: BTreeMap<&'static str, f64>,
    /// Ok gets that returned at least one value.
    pub gets: u64,
    /// Siblings kept only because truncated vector clocks hid their order
    /// (counted by the coordinators as they versioned puts), apart from the
    /// shares, which cannot tell them from true conflicts.
    pub false_conflicts: u64,
}

pub fn versions(found: &Findings, nodes: &NodeStats) -> Versions {
    let mut by_bucket: BTreeMap<&'static str, u64> =
        ["1", "2", "3", "4+"].into_iter().map(|b| (b, 0)).collect();
    for (&values, &gets) in &found.siblings {
        let bucket = match values {
            0 => continue,
            1 => "1",
            2 => "2",
            3 => "3",
            _ => "4+",
        };
        *by_bucket.entry(bucket).or_insert(0) += gets;
    }
    let gets: u64 = by_bucket.values().sum();
    Versions {
        shares: by_bucket
            .into_iter()
            .map(|(b, n)| {
                (
                    b,
                    if gets == 0 {
                        0.0
                    } else {
                        n as f64 / gets as f64
                    },
                )
            })
            .collect(),
        gets,
        false_conflicts: nodes.false_conflicts,
    }
}

/// An item removed by an acknowledged write that a later get returned.
#[derive(Clone, Debug, Serialize)]
pub struct ResurrectionExample {
    /// The get that returned it.
    pub op: u64,
    pub key: String,
    pub item: String,
    pub removed_by: u64,
    pub why: String,
}

/// An acknowledged add the final state lacks.
#[derive(Clone, Debug, Serialize)]
pub struct LostAddExample {
    pub op: u64,
    pub key: String,
    pub element: String,
    pub why: String,
}

pub fn resurrection_examples(found: &Findings, names: &Names) -> Vec<ResurrectionExample> {
    found
        .removals
        .resurrections
        .iter()
        .flat_map(|f| &f.examples)
        .map(|r| ResurrectionExample {
            op: r.get.0,
            key: names.key(r.key).into_owned(),
            item: r.item.name(names),
            removed_by: r.removed_by.0,
            why: r.why(names),
        })
        .collect()
}

pub fn lost_add_examples(found: &Findings, names: &Names) -> Vec<LostAddExample> {
    found
        .removals
        .lost_adds
        .iter()
        .flat_map(|f| &f.examples)
        .map(|l| LostAddExample {
            op: l.added_by.0,
            key: names.key(l.key).into_owned(),
            element: names.element(l.element).into_owned(),
            why: l.why(names),
        })
        .collect()
}
