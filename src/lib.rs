//! dynsim: a deterministic discrete-event simulator of the Dynamo key-value
//! store design (DeCandia et al., SOSP 2007).
//!
//! See ARCHITECTURE.md for the map. In one paragraph each:
//! - [`time`], [`id`]: simulated nanoseconds; names of nodes, clients, keys.
//! - [`scenario`]: the scenario file, its defaults and validation.
//! - [`ring`]: consistent hashing, Dynamo's strategies 1-3, preference lists.
//! - [`actor`]: the sans-IO interface every protocol node implements.
//! - [`sim`]: the event loop, the only owner of time and the queue.
//! - [`timeline`]: node lives and network cuts as run, for checks and report.
//! - [`net`]: the lossy, partitionable network of regions and racks.
//! - [`fault`]: the fault schedule and the nemesis that draws one.
//! - [`node`], [`client`]: the storage node and the clients that load it.
//! - [`trace`], [`metrics`]: what a run records, streamed and aggregated.
//! - [`value`]: typed values (sets, or-sets, counters) and their merges.
//! - [`run`], [`check`], [`report`]: one run, its verdicts, its files.
//! - [`sweep`]: many runs over a grid of seeds and `--set` values, sharded and merged.
//! - [`shrink`]: the smallest scenario that still fails an expectation.
//! - [`explain`]: a run told in plain sentences, from its trace.
//! - [`cli`]: the `dynsim` command.

pub mod actor;
pub mod check;
pub mod cli;
pub mod client;
pub mod explain;
pub mod explore;
pub mod fault;
pub mod gossip;
pub mod id;
pub mod merkle;
pub mod metrics;
pub mod net;
pub mod node;
pub mod report;
pub mod ring;
pub mod run;
pub mod scenario;
pub mod shrink;
pub mod sim;
pub mod sweep;
pub mod time;
pub mod timeline;
pub mod trace;
pub mod value;
pub mod version;
