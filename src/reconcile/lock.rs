//! One apply at a time per platform: a `coordination.k8s.io/v1` Lease `strata-<platform>` in the
//! inventory namespace. The holder renews it while it works; a second apply fails fast naming the
//! holder and since when (or waits, with `--lock-timeout`); a crashed holder's lease expires after its
//! duration and the next apply takes it over. Every write carries the resourceVersion it read, so two
//! applies racing for a free lease cannot both win.
//!
//! The holder identity is random per run (with user, host and pid for the humans reading it): two CI
//! containers share user, hostname and pid, and an identity they share would let both believe they
//! hold the lease. The holder re-reads the lease before every write batch ([`LockGuard::ensure_held`])
//! instead of trusting the renewal loop, which notices a takeover only every third of the duration. A
//! held lease is registered so that a SIGINT/SIGTERM handler can release it ([`release_held`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::discovery::ApiResource;
use serde_json::Value;

use crate::manifest::{LABEL_MANAGED_BY, LABEL_PART_OF};
use crate::reconcile::Kube;
use crate::reconcile::error::{ApiFailure, LockHolder, ReconcileError};

/// How long a lease stays valid without renewal. Renewed every third of it.
pub const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(30);

pub fn lease_resource() -> ApiResource {
    ApiResource::erase::<Lease>(&())
}

/// Who is applying: user, host, pid and CI run when known, so the message of a blocked apply says who
/// to ask, and a random run id, so that two runs never share an identity (see the module docs).
pub fn holder_identity() -> String {
    format!("{} run {}", human_identity(), run_id())
}

/// 64 random bits from the OS (hex), or, if that fails, a mix of the clock and the pid.
fn run_id() -> String {
    use std::io::Read;
    let mut b = [0u8; 8];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).is_ok();
    if !ok {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        b = ((t as u64) ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn human_identity() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|s| s.trim().to_string()))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    let mut id = format!("{user}@{host} pid {}", std::process::id());
    if let (Ok(repo), Ok(run)) = (std::env::var("GITHUB_REPOSITORY"), std::env::var("GITHUB_RUN_ID")) {
        id.push_str(&format!(" ({repo} run {run})"));
    }
    id
}

/// The lease state as the decision needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaseState {
    Free,
    HeldBy { holder: String, since: Option<Timestamp>, renewed: Option<Timestamp>, expires: Timestamp },
}

/// Is the lease free for `me` at `now`? Released (no holder), expired, or already ours.
pub fn state(lease: &Lease, me: &str, now: Timestamp) -> LeaseState {
    let Some(spec) = &lease.spec else { return LeaseState::Free };
    let Some(holder) = spec.holder_identity.as_deref().filter(|h| !h.is_empty()) else { return LeaseState::Free };
    if holder == me {
        return LeaseState::Free;
    }
    let renewed = spec.renew_time.as_ref().or(spec.acquire_time.as_ref()).map(|t| t.0);
    let duration = SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(0)));
    let expires = renewed.and_then(|r| r.checked_add(duration).ok()).unwrap_or(Timestamp::UNIX_EPOCH);
    if expires <= now {
        return LeaseState::Free;
    }
    LeaseState::HeldBy { holder: holder.to_string(), since: spec.acquire_time.as_ref().map(|t| t.0), renewed, expires }
}

/// A held lock: renewed in the background until released. `lost()` turns true if renewal fails because
/// someone else took the lease (the apply then stops before its next write).
pub struct LockGuard {
    kube: Arc<Kube>,
    namespace: String,
    name: String,
    me: String,
    lost: Arc<AtomicBool>,
    renewer: tokio::task::JoinHandle<()>,
}

/// A lease this process holds, for the signal handler.
struct Held {
    kube: Arc<Kube>,
    namespace: String,
    name: String,
    me: String,
    renewer: tokio::task::AbortHandle,
}

static HELD: Mutex<Vec<Held>> = Mutex::new(Vec::new());

/// Releases every lease this process holds (on SIGINT/SIGTERM: the apply is abandoned, and the next one
/// need not wait for the lease to expire). Bounded: a server that does not answer leaves the lease to
/// expire on its own.
pub async fn release_held() {
    let held: Vec<Held> = std::mem::take(&mut *HELD.lock().unwrap_or_else(|e| e.into_inner()));
    for h in held {
        h.renewer.abort();
        let _ = tokio::time::timeout(Duration::from_secs(5), clear(&h.kube, &h.namespace, &h.name, &h.me)).await;
    }
}

fn unregister(me: &str) {
    HELD.lock().unwrap_or_else(|e| e.into_inner()).retain(|h| h.me != me);
}

/// Clears the holder if it is still `me`.
async fn clear(kube: &Kube, namespace: &str, name: &str, me: &str) -> Result<(), ApiFailure> {
    let ar = lease_resource();
    let Some(v) = kube.get(&ar, Some(namespace), name).await? else { return Ok(()) };
    let Ok(mut lease) = serde_json::from_value::<Lease>(v) else { return Ok(()) };
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    if spec.holder_identity.as_deref() != Some(me) {
        return Ok(());
    }
    spec.holder_identity = None;
    spec.renew_time = None;
    spec.acquire_time = None;
    let body = serde_json::to_value(&lease).unwrap_or(Value::Null);
    kube.replace(&ar, Some(namespace), name, &body).await.map(|_| ())
}

impl LockGuard {
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    /// This run's holder identity.
    pub fn identity(&self) -> &str {
        &self.me
    }

    /// Re-reads the lease and fails with [`ReconcileError::LockLost`] unless this run still holds it.
    /// Called before every write batch and before prune: a takeover (an expired lease taken by another
    /// run while this one stalled, or a person deleting the lease) stops this run before it writes again.
    pub async fn ensure_held(&self, before: &str) -> Result<(), ReconcileError> {
        let lost = |holder: String| {
            self.lost.store(true, Ordering::Relaxed);
            ReconcileError::LockLost {
                lease: format!("{}/{}", self.namespace, self.name),
                me: self.me.clone(),
                holder,
                before: before.to_string(),
            }
        };
        if self.lost() {
            return Err(lost("another holder".into()));
        }
        let v = self.kube.get(&lease_resource(), Some(&self.namespace), &self.name).await.map_err(|f| {
            ReconcileError::api(
                format!("checking the lock (lease {}/{})", self.namespace, self.name),
                "get",
                "leases",
                Some(&self.namespace),
                f,
            )
        })?;
        let holder = v
            .and_then(|v| serde_json::from_value::<Lease>(v).ok())
            .and_then(|l| l.spec)
            .and_then(|s| s.holder_identity)
            .unwrap_or_default();
        if holder != self.me {
            return Err(lost(if holder.is_empty() {
                "nobody (the lease was released or deleted)".into()
            } else {
                holder
            }));
        }
        Ok(())
    }

    /// Stops renewing and clears the holder, so the next apply need not wait for expiry. A failure here
    /// (server gone) is not an error of the apply: the lease then simply expires.
    pub async fn release(self) -> Result<(), ApiFailure> {
        self.renewer.abort();
        unregister(&self.me);
        clear(&self.kube, &self.namespace, &self.name, &self.me).await
    }
}

fn lease_body(name: &str, ns: &str, platform: &str, me: &str, duration: Duration, base: Option<Lease>) -> Lease {
    let now = MicroTime(Timestamp::now());
    let mut lease = base.unwrap_or_else(|| Lease {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(ns.to_string()),
            labels: Some(
                [
                    (LABEL_MANAGED_BY.to_string(), crate::manifest::MANAGER.to_string()),
                    (LABEL_PART_OF.to_string(), platform.to_string()),
                ]
                .into(),
            ),
            ..Default::default()
        },
        spec: None,
    });
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    let transitions = spec.lease_transitions.unwrap_or(0);
    let was_other = spec.holder_identity.as_deref().is_some_and(|h| !h.is_empty() && h != me);
    spec.holder_identity = Some(me.to_string());
    spec.acquire_time = Some(now.clone());
    spec.renew_time = Some(now);
    spec.lease_duration_seconds = Some(i32::try_from(duration.as_secs().max(1)).unwrap_or(i32::MAX));
    spec.lease_transitions = Some(if was_other { transitions + 1 } else { transitions });
    lease
}

fn fmt_time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "an unknown time".to_string(), |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn ago(t: Option<Timestamp>, now: Timestamp) -> String {
    match t {
        Some(t) => format!("{} s ago", now.duration_since(t).as_secs().max(0)),
        None => "never".into(),
    }
}

/// Takes the platform's lease, waiting up to `wait` for another holder. Returns a guard that renews it.
pub async fn acquire(
    kube: Arc<Kube>,
    namespace: &str,
    platform: &str,
    duration: Duration,
    wait: Duration,
) -> Result<LockGuard, ReconcileError> {
    let name = format!("strata-{platform}");
    let me = holder_identity();
    let ar = lease_resource();
    let deadline = tokio::time::Instant::now() + wait;
    let fail = |verb: &str, f: ApiFailure| {
        ReconcileError::api(format!("taking the lock (lease {namespace}/{name})"), verb, "leases", Some(namespace), f)
    };
    loop {
        let current = kube.get(&ar, Some(namespace), &name).await.map_err(|f| fail("get", f))?;
        let attempt = match current {
            None => {
                let body = serde_json::to_value(lease_body(&name, namespace, platform, &me, duration, None))
                    .unwrap_or(Value::Null);
                kube.create(&ar, Some(namespace), &body).await.map_err(|f| ("create", f))
            }
            Some(v) => {
                let lease: Lease = serde_json::from_value(v).unwrap_or_default();
                let now = Timestamp::now();
                match state(&lease, &me, now) {
                    LeaseState::Free => {
                        let body =
                            serde_json::to_value(lease_body(&name, namespace, platform, &me, duration, Some(lease)))
                                .unwrap_or(Value::Null);
                        kube.replace(&ar, Some(namespace), &name, &body).await.map_err(|f| ("update", f))
                    }
                    LeaseState::HeldBy { holder, since, renewed, expires } => {
                        if tokio::time::Instant::now() >= deadline {
                            return Err(ReconcileError::LockHeld(Box::new(LockHolder {
                                platform: platform.to_string(),
                                holder,
                                since: fmt_time(since),
                                renewed: ago(renewed, now),
                                lease: format!("{namespace}/{name}"),
                                expires: format!("at {} if not renewed", fmt_time(Some(expires))),
                            })));
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                }
            }
        };
        match attempt {
            Ok(_) => break,
            // Someone created or updated it between our read and write: read again and decide again.
            Err((_, f)) if f.is_conflict() || f.code == 409 => continue,
            Err((verb, f)) => return Err(fail(verb, f)),
        }
    }
    let lost = Arc::new(AtomicBool::new(false));
    let renewer =
        tokio::spawn(renew_loop(kube.clone(), namespace.to_string(), name.clone(), me.clone(), duration, lost.clone()));
    HELD.lock().unwrap_or_else(|e| e.into_inner()).push(Held {
        kube: kube.clone(),
        namespace: namespace.to_string(),
        name: name.clone(),
        me: me.clone(),
        renewer: renewer.abort_handle(),
    });
    Ok(LockGuard { kube, namespace: namespace.to_string(), name, me, lost, renewer })
}

async fn renew_loop(kube: Arc<Kube>, ns: String, name: String, me: String, duration: Duration, lost: Arc<AtomicBool>) {
    let ar = lease_resource();
    loop {
        tokio::time::sleep(duration / 3).await;
        let Ok(Some(v)) = kube.get(&ar, Some(&ns), &name).await else { continue };
        let Ok(mut lease) = serde_json::from_value::<Lease>(v) else { continue };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(me.as_str()) {
            lost.store(true, Ordering::Relaxed);
            return;
        }
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        let body = serde_json::to_value(&lease).unwrap_or(Value::Null);
        if let Err(f) = kube.replace(&ar, Some(&ns), &name, &body).await
            && f.is_conflict()
        {
            // Changed under us: the next round re-reads and finds out whether it is still ours.
            continue;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(holder: Option<&str>, renewed_secs_ago: i64, duration: i32) -> Lease {
        let now = Timestamp::now();
        let t = MicroTime(now.checked_sub(SignedDuration::from_secs(renewed_secs_ago)).unwrap());
        Lease {
            metadata: Default::default(),
            spec: Some(LeaseSpec {
                holder_identity: holder.map(str::to_string),
                acquire_time: Some(t.clone()),
                renew_time: Some(t),
                lease_duration_seconds: Some(duration),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn a_live_lease_of_another_holder_blocks() {
        let now = Timestamp::now();
        match state(&lease(Some("ci@runner pid 7"), 5, 30), "me", now) {
            LeaseState::HeldBy { holder, .. } => assert_eq!(holder, "ci@runner pid 7"),
            other => panic!("expected held, got {other:?}"),
        }
    }

    #[test]
    fn expired_released_and_own_leases_are_free() {
        let now = Timestamp::now();
        assert_eq!(state(&lease(Some("ci"), 31, 30), "me", now), LeaseState::Free);
        assert_eq!(state(&lease(None, 1, 30), "me", now), LeaseState::Free);
        assert_eq!(state(&lease(Some(""), 1, 30), "me", now), LeaseState::Free);
        assert_eq!(state(&lease(Some("me"), 1, 30), "me", now), LeaseState::Free);
    }

    #[test]
    fn every_run_has_its_own_identity() {
        // Same user, host and pid (two containers, or two runs in one process): still two holders.
        let (a, b) = (holder_identity(), holder_identity());
        assert_ne!(a, b);
        assert!(a.contains(&format!("pid {}", std::process::id())), "{a}");
    }

    #[test]
    fn taking_over_counts_a_transition() {
        let l = lease_body("strata-p", "ns", "p", "me", Duration::from_secs(30), Some(lease(Some("other"), 60, 30)));
        let spec = l.spec.unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some("me"));
        assert_eq!(spec.lease_transitions, Some(1));
        assert_eq!(spec.lease_duration_seconds, Some(30));
    }
}
