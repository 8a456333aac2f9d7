//! The sections that say what a run does to the cluster and how it is
//! judged: `[workload]` (its mix and loop), `[nemesis]` (random faults)
//! and `[expect]` (the verdicts' bounds). The cluster's own sections are
//! in `decode.rs`, which calls these.

use super::defaults::{MAX_CLIENTS, MAX_KEYS};
use super::diag::Diag;
use super::dist::key_dist;
use super::model::*;
use super::read::{Field, TableView, backticked_list};
use crate::time::SimTime;

pub(super) const WORKLOAD_KEYS: &[&str] = &[
    "clients",
    "keys",
    "key_dist",
    "mix",
    "mode",
    "rate",
    "read_modify_write",
    "balancer",
];
pub(super) const NEMESIS_KEYS: &[&str] = &["rate", "mix", "heal_by", "min_fault", "max_fault"];
pub(super) const EXPECT_KEYS: &[&str] = &[
    "lost_acked_writes",
    "stale_reads",
    "durability_violations",
    "converged_within",
    "availability",
    "get_availability",
    "put_availability",
    "get_p99",
    "put_p99",
    "max_siblings",
    "superseded_siblings",
    "resurrections",
    "lost_adds",
];

pub(super) fn workload(field: Field<'_>, value_type: ValueType) -> Result<Workload, Diag> {
    let t = field.table(WORKLOAD_KEYS)?;
    let d = Workload::default();
    // A typed value is written by updates: the default mix's puts are
    // updates there.
    let default_mix = match value_type {
        ValueType::Opaque => Mix {
            get: d.mix_get,
            put: d.mix_put,
            delete: d.mix_delete,
            update: 0.0,
        },
        _ => Mix {
            get: d.mix_get,
            put: 0.0,
            delete: d.mix_delete,
            update: d.mix_put,
        },
    };
    let mix = t.or("mix", default_mix, |f| mix(f, value_type))?;
    let mode = t.or("mode", d.mode, |f| {
        f.choice(&[("open", LoopMode::Open), ("closed", LoopMode::Closed)])
    })?;
    let rate = t.or("rate", d.rate, |f| f.rate())?;
    if mode == LoopMode::Open && rate.count <= 0.0 {
        let (span, path) = match t.get("rate") {
            Some(c) => (c.node.span.clone(), c.path),
            None => (field.node.span.clone(), "workload.rate".to_string()),
        };
        return Err(Diag::new(
            &span,
            &path,
            "an open-loop workload needs a rate above zero",
        )
        .with_help("write e.g. rate = \"2000/s\", or mode = \"closed\""));
    }
    Ok(Workload {
        clients: t.or("clients", d.clients, |f| {
            f.u32_in(1, MAX_CLIENTS, "`clients`")
        })?,
        keys: t.or("keys", d.keys, |f| f.u32_in(1, MAX_KEYS, "`keys`"))?,
        key_dist: t.or("key_dist", d.key_dist, key_dist)?,
        mix_get: mix.get,
        mix_put: mix.put,
        mix_delete: mix.delete,
        mix_update: mix.update,
        mode,
        rate,
        read_modify_write: t.or("read_modify_write", d.read_modify_write, |f| {
            f.unit_interval()
        })?,
        balancer: t.or("balancer", d.balancer, |f| {
            f.choice(&[
                ("partition-aware", Balancer::PartitionAware),
                ("generic", Balancer::Generic),
            ])
        })?,
    })
}

/// The weights of a workload's kinds of operation.
struct Mix {
    get: f64,
    put: f64,
    delete: f64,
    update: f64,
}

/// `{ get = 0.5, put = 0.4, delete = 0.1 }` (or `update` for typed
/// values); a kind left out has weight 0.
fn mix(field: Field<'_>, value_type: ValueType) -> Result<Mix, Diag> {
    let t = field.table(&["get", "put", "delete", "update"])?;
    let get = t.or("get", 0.0, |f| f.weight())?;
    let put = t.or("put", 0.0, |f| f.weight())?;
    let delete = t.or("delete", 0.0, |f| f.weight())?;
    let update = t.or("update", 0.0, |f| f.weight())?;
    if get == 0.0 && put == 0.0 && delete == 0.0 && update == 0.0 {
        return Err(field
            .error("the mix has no weight: gets, puts, deletes and updates are all 0")
            .with_help("write e.g. mix = { get = 0.9, put = 0.1 }"));
    }
    let typed = value_type != ValueType::Opaque;
    if let (true, Some(c), true) = (typed, t.get("put"), put > 0.0) {
        return Err(c
            .field()
            .error(format!(
                "a put writes an opaque label, but [values] type = \"{}\"",
                value_type.as_str()
            ))
            .with_help("typed values are written by updates: write `update` in the mix"));
    }
    if let (false, Some(c), true) = (typed, t.get("update"), update > 0.0) {
        return Err(c
            .field()
            .error("an update merges typed values, but the values are opaque")
            .with_help("set [values] type = \"set\", \"or-set\" or \"counter\""));
    }
    Ok(Mix {
        get,
        put,
        delete,
        update,
    })
}

pub(super) fn nemesis(field: Field<'_>, duration: SimTime, end: SimTime) -> Result<Nemesis, Diag> {
    let t = field.table(NEMESIS_KEYS)?;
    let d = Nemesis::default();
    let heal_by = t.or("heal_by", duration, |f| {
        let heal_by = f.duration()?;
        if heal_by > end {
            return Err(f.error(format!(
                "heal_by {heal_by} is after the run ends at {end} (duration + quiesce)"
            )));
        }
        Ok(heal_by)
    })?;
    let min_fault = t.or("min_fault", d.min_fault, |f| f.duration())?;
    let max_fault = t.or("max_fault", d.max_fault, |f| {
        let max = f.positive_duration()?;
        if max < min_fault {
            return Err(f.error(format!("max_fault {max} is below min_fault {min_fault}")));
        }
        Ok(max)
    })?;
    // Reached only when max_fault is the default (a written one was checked
    // above), so the min_fault the file wrote is to blame.
    if let Some(min) = t.get("min_fault").filter(|_| max_fault < min_fault) {
        return Err(min.field().error(format!(
            "min_fault {min_fault} is above max_fault {max_fault} (the default)"
        )));
    }
    Ok(Nemesis {
        rate: t.or("rate", d.rate, |f| f.rate())?,
        mix: t.or("mix", d.mix, nemesis_mix)?,
        heal_by,
        min_fault,
        max_fault,
    })
}

const NEMESIS_KINDS: &[&str] = &[
    "partition",
    "crash",
    "pause",
    "isolate",
    "cut",
    "loss",
    "skew",
];

/// Weights per kind; a kind left out has weight 0.
fn nemesis_mix(field: Field<'_>) -> Result<NemesisMix, Diag> {
    let t: TableView<'_> = field.table(NEMESIS_KINDS).map_err(|diag| {
        let message = diag.message.replace("unknown key", "unknown fault kind");
        Diag {
            message,
            help: Some(format!("kinds: {}", backticked_list(NEMESIS_KINDS))),
            ..diag
        }
    })?;
    let w = |key: &str| t.or(key, 0.0, |f| f.weight());
    let mix = NemesisMix {
        partition: w("partition")?,
        crash: w("crash")?,
        pause: w("pause")?,
        isolate: w("isolate")?,
        cut: w("cut")?,
        loss: w("loss")?,
        skew: w("skew")?,
    };
    let total = mix.partition + mix.crash + mix.pause + mix.isolate + mix.cut + mix.loss + mix.skew;
    if total <= 0.0 {
        return Err(field.error("every kind in the nemesis mix has weight 0"));
    }
    Ok(mix)
}

pub(super) fn expect(field: Field<'_>) -> Result<Expect, Diag> {
    let t = field.table(EXPECT_KEYS)?;
    let some = |key: &str, read: fn(Field<'_>) -> Result<f64, Diag>| {
        t.or(key, None, |f| read(f).map(Some))
    };
    let latency = |key: &str| t.or(key, None, |f| latency_bound(f).map(Some));
    Ok(Expect {
        lost_acked_writes: t.or("lost_acked_writes", None, |f| f.u64().map(Some))?,
        stale_reads: t.or("stale_reads", None, |f| f.u64().map(Some))?,
        durability_violations: t.or("durability_violations", None, |f| f.u64().map(Some))?,
        converged_within: t.or("converged_within", None, |f| f.duration().map(Some))?,
        availability: some("availability", availability)?,
        get_availability: some("get_availability", availability)?,
        put_availability: some("put_availability", availability)?,
        get_p99: latency("get_p99")?,
        put_p99: latency("put_p99")?,
        max_siblings: t.or("max_siblings", None, |f| {
            f.u32_in(1, u32::MAX, "`max_siblings`").map(Some)
        })?,
        superseded_siblings: t.or("superseded_siblings", None, |f| count_bound(f).map(Some))?,
        resurrections: t.or("resurrections", None, |f| count_bound(f).map(Some))?,
        lost_adds: t.or("lost_adds", None, |f| count_bound(f).map(Some))?,
    })
}

/// `{ max = 0 }` or a bare `0`.
fn count_bound(field: Field<'_>) -> Result<u64, Diag> {
    if field.table_any().is_ok() {
        let t = field.table(&["max"])?;
        t.required("max", "0")?.field().u64()
    } else {
        field.u64()
    }
}

/// `{ min = 0.999 }` or a bare `0.999`.
fn availability(field: Field<'_>) -> Result<f64, Diag> {
    if field.table_any().is_ok() {
        let t = field.table(&["min"])?;
        t.required("min", "0.999")?.field().unit_interval()
    } else {
        field.unit_interval()
    }
}

/// `{ max = "50ms" }` or a bare `"50ms"`.
fn latency_bound(field: Field<'_>) -> Result<SimTime, Diag> {
    if field.table_any().is_ok() {
        let t = field.table(&["max"])?;
        t.required("max", "\"50ms\"")?.field().duration()
    } else {
        field.duration()
    }
}
