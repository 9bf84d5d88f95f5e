//! Airflow rules: the KubernetesExecutor starts one pod per task from a pod template file (a plain `v1/Pod`,
//! delivered in a ConfigMap and mounted into the scheduler). Bigger worker containers multiply by the
//! number of concurrent tasks, so a template that grows can leave the tenant without quota headroom.

use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use serde::Deserialize;
use serde_json::Value;

use crate::diff::rules::tenants::near_quota;
use crate::diff::rules::{Context, read_both, unreadable};
use crate::diff::{ChangeKind, Finding, ObjectChange};
use crate::units::{Bytes, Cpu};

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    for c in changes.iter().filter(|c| c.kind == ChangeKind::Changed && c.is("", "ConfigMap")) {
        let Some((old, new)) = read_both::<ConfigMap>(c, cx, out) else { continue };
        let (Some(old), Some(new)) = (old.data, new.data) else { continue };
        for (key, after) in &new {
            let Some(before) = old.get(key) else { continue };
            if before == after {
                continue;
            }
            let (o, n) = match (pod_resources(before), pod_resources(after)) {
                (Some(Ok(o)), Some(Ok(n))) => (o, n),
                (Some(Err(e)), _) => {
                    out.push(unreadable(c, format!("in {}, the pod template `{key}`: {e}", cx.base.label)));
                    continue;
                }
                (_, Some(Err(e))) => {
                    out.push(unreadable(c, format!("in {}, the pod template `{key}`: {e}", cx.head.label)));
                    continue;
                }
                _ => continue,
            };
            let what = format!("Airflow worker pod template `{key}` (ConfigMap `{}`)", c.key.path());
            out.extend(near_quota(c, &what, &o.grown(&n), cx));
        }
    }
}

/// The summed resources of a pod's (not init) containers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PodResources {
    pub cpu_request: u64,
    pub cpu_limit: u64,
    pub memory_request: u64,
    pub memory_limit: u64,
}

impl PodResources {
    fn add(&mut self, section: &str, resource: &str, value: &str) {
        let v = value.trim().trim_matches(['"', '\'']);
        match (section, resource) {
            ("requests", "cpu") => self.cpu_request += Cpu::parse(v).map_or(0, |c| c.0),
            ("limits", "cpu") => self.cpu_limit += Cpu::parse(v).map_or(0, |c| c.0),
            ("requests", "memory") => self.memory_request += Bytes::parse(v).map_or(0, |b| b.0),
            ("limits", "memory") => self.memory_limit += Bytes::parse(v).map_or(0, |b| b.0),
            _ => {}
        }
    }

    /// What grew, as `requests.cpu 500m → 2`.
    pub fn grown(&self, new: &PodResources) -> Vec<String> {
        let show = |cpu: bool, v: u64| if cpu { Cpu(v).to_string() } else { Bytes(v).to_string() };
        [
            ("requests.cpu", self.cpu_request, new.cpu_request, true),
            ("limits.cpu", self.cpu_limit, new.cpu_limit, true),
            ("requests.memory", self.memory_request, new.memory_request, false),
            ("limits.memory", self.memory_limit, new.memory_limit, false),
        ]
        .into_iter()
        .filter(|(_, o, n, _)| n > o)
        .map(|(name, o, n, cpu)| format!("worker {name} {} → {}", show(cpu, o), show(cpu, n)))
        .collect()
    }
}

/// The container resources of a pod template file, when `text` is one (JSON or YAML with `kind: Pod`); an
/// error for JSON that says `kind: Pod` but is not a v1 Pod.
pub fn pod_resources(text: &str) -> Option<Result<PodResources, serde_json::Error>> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        if v.get("kind").and_then(Value::as_str) != Some("Pod") {
            return None;
        }
        return Some(Pod::deserialize(&v).map(|p| pod_spec_resources(&p)));
    }
    if !text.lines().any(|l| l.trim_end() == "kind: Pod" || l.trim_end() == "kind: \"Pod\"") {
        return None;
    }
    Some(Ok(yaml_resources(text)))
}

fn pod_spec_resources(p: &Pod) -> PodResources {
    let mut r = PodResources::default();
    for c in p.spec.iter().flat_map(|s| &s.containers) {
        let Some(res) = &c.resources else { continue };
        for (section, values) in [("requests", &res.requests), ("limits", &res.limits)] {
            for (resource, q) in values.iter().flatten() {
                r.add(section, resource, &q.0);
            }
        }
    }
    r
}

/// Reads the block-style YAML a pod template is written in, far enough to find
/// `spec.containers[*].resources.{requests,limits}.{cpu,memory}`: keys are tracked by indentation,
/// sequence items (`- `) and one-line flow maps (`{cpu: 500m, memory: 1Gi}`) are understood, block scalars
/// (`|`, `>`) are skipped. Not a YAML parser; enough for a file whose shape Kubernetes fixes.
fn yaml_resources(text: &str) -> PodResources {
    let mut r = PodResources::default();
    // (indent, key); `None` marks a sequence item.
    let mut stack: Vec<(usize, Option<String>)> = Vec::new();
    let mut block_scalar_at: Option<usize> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        let mut indent = line.len() - trimmed.len();
        if let Some(b) = block_scalar_at {
            if trimmed.is_empty() || indent > b {
                continue;
            }
            block_scalar_at = None;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
            continue;
        }
        let mut content = trimmed;
        while content == "-" || content.starts_with("- ") {
            while stack.last().is_some_and(|(i, k)| *i > indent || (*i == indent && k.is_none())) {
                stack.pop();
            }
            stack.push((indent, None));
            let rest = content[1..].trim_start();
            indent += content.len() - rest.len();
            content = rest;
        }
        let Some((key, value)) = split_key(content) else { continue };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let path: Vec<&str> = stack.iter().filter_map(|(_, k)| k.as_deref()).chain([key.as_str()]).collect();
        if value.is_empty() {
            stack.push((indent, Some(key)));
        } else if value.starts_with('|') || value.starts_with('>') {
            block_scalar_at = Some(indent);
        } else if let Some(flow) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            for pair in flow.split(',') {
                if let Some((k, v)) = split_key(pair.trim()) {
                    let mut p = path.clone();
                    p.push(&k);
                    record(&mut r, &p, &v);
                }
            }
        } else {
            record(&mut r, &path, &value);
        }
    }
    r
}

fn record(r: &mut PodResources, path: &[&str], value: &str) {
    let n = path.len();
    if n >= 4 && path[n - 3] == "resources" && path.contains(&"containers") && !path.contains(&"initContainers") {
        r.add(path[n - 2], path[n - 1], value);
    }
}

/// `key: value` (or `key:`) with the key unquoted; `None` for anything else (plain list items).
fn split_key(s: &str) -> Option<(String, String)> {
    let (k, v) = if let Some(k) = s.strip_suffix(':') { (k, "") } else { s.split_once(": ")? };
    let k = k.trim().trim_matches(['"', '\'']);
    (!k.is_empty() && !k.contains(' ')).then(|| (k.to_string(), v.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::rules::tenants::NEAR_QUOTA;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use crate::model::demand::{Demand, PodDemand};
    use crate::source::{FileId, Span};
    use serde_json::json;

    const TEMPLATE: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: placeholder-name
  namespace: analytics
spec:
  containers:
  - env:
    - name: AIRFLOW__CORE__EXECUTOR
      value: LocalExecutor
    image: apache/airflow:3.1.3
    name: base
    resources:
      limits:
        cpu: \"2\"
        memory: 4Gi
      requests:
        cpu: \"1\"
        memory: 4Gi
  - name: sidecar
    resources:
      requests: {cpu: 100m, memory: 128Mi}
  initContainers:
  - name: init
    resources:
      requests:
        cpu: \"8\"
  restartPolicy: Never
";

    #[test]
    fn reads_container_resources_from_a_yaml_or_json_template() {
        let read = |t: &str| pod_resources(t).map(|r| r.expect("a valid pod template"));
        let r = read(TEMPLATE).expect("a pod template");
        assert_eq!(
            r,
            PodResources {
                cpu_request: 1100,
                cpu_limit: 2000,
                memory_request: (4 << 30) + (128 << 20),
                memory_limit: 4 << 30
            }
        );
        // Indented sequences and a block scalar that looks like resources.
        let other = "kind: Pod\nspec:\n    containers:\n        - name: base\n          args: |\n            resources:\n              requests:\n                cpu: 64\n          resources:\n            requests:\n              cpu: 500m\n";
        assert_eq!(read(other).map(|r| r.cpu_request), Some(500));
        let limits = json!({"memory": "2Gi", "cpu": 0.5});
        let j = json!({"apiVersion": "v1", "kind": "Pod",
                       "spec": {"containers": [{"name": "base", "resources": {"limits": limits}}]}});
        assert_eq!(read(&j.to_string()).map(|r| (r.memory_limit, r.cpu_limit)), Some((2 << 30, 500)));
        assert!(read("[core]\nexecutor = KubernetesExecutor\n").is_none());
        // JSON that says it is a Pod but is not one is an error, not an empty pod.
        let bad = json!({"kind": "Pod", "spec": {"containers": [{"name": "base", "resources": {"limits": []}}]}});
        assert!(pod_resources(&bad.to_string()).is_some_and(|r| r.is_err()));
    }

    #[test]
    fn bigger_workers_near_the_quota_are_a_warning() {
        let cm = |t: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "airflow-config", "namespace": "analytics"},
                   "data": {"pod_template_file.yaml": t, "airflow.cfg": "[core]\n"}})
        };
        let quota = json!({"apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": "tenant-quota", "namespace": "analytics"}, "spec": {"hard": {"requests.memory": "39Gi"}}});
        let bigger = TEMPLATE.replacen("memory: 4Gi", "memory: 8Gi", 2);
        let base = set(vec![(quota.clone(), Some("analytics"), "t:1"), (cm(TEMPLATE), Some("analytics"), "a:1")]);
        let head = set(vec![(quota, Some("analytics"), "t:1"), (cm(&bigger), Some("analytics"), "a:1")]);
        // Four concurrent workers of 9Gi: 36 of 39Gi.
        let demands = vec![Demand {
            tenant: "analytics".into(),
            workload: "airflow `orchestration`".into(),
            span: Span::new(FileId(0), 0, 0),
            exclusive_group: None,
            pods: vec![PodDemand {
                role: "worker".into(),
                count: 4,
                cpu_request: Cpu(1100),
                cpu_limit: Cpu(2000),
                memory_request: Bytes(9 << 30),
                memory_limit: Bytes(8 << 30),
                gpus: 0,
                spot: false,
            }],
            objects: vec![],
            admission: Vec::new(),
            run: Default::default(),
        }];
        let d = compare(&Side::new("base", &base), &Side::new("head", &head).with_demands(demands));
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        let f = &d.findings[0];
        assert_eq!(f.code, NEAR_QUOTA);
        assert!(f.message.contains("worker limits.memory 4Gi → 8Gi"), "{}", f.message);
        assert!(f.message.contains("requests.memory 36Gi of 39Gi (92%)"), "{}", f.message);
    }

    #[test]
    fn an_unreadable_template_is_reported_not_skipped() {
        let cm = |data: Value| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "airflow-config", "namespace": "analytics"}, "data": data})
        };
        let pod = |limits: Value| {
            json!({"apiVersion": "v1", "kind": "Pod",
                   "spec": {"containers": [{"name": "base", "resources": {"limits": limits}}]}})
            .to_string()
        };
        let findings = |base: Value, head: Value| {
            let b = set(vec![(cm(base), Some("analytics"), "a:1")]);
            let h = set(vec![(cm(head), Some("analytics"), "a:1")]);
            compare(&Side::new("base", &b), &Side::new("head", &h)).findings
        };
        let f = findings(
            json!({"pod.json": pod(json!({"memory": ["4Gi"]}))}),
            json!({"pod.json": pod(json!({"memory": "8Gi"}))}),
        );
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![crate::diff::rules::UNREADABLE]);
        assert!(f[0].message.contains("in base, the pod template `pod.json`"), "{}", f[0].message);
        // A ConfigMap whose data is not all strings is not a ConfigMap.
        let f = findings(json!({"pod.json": 1}), json!({"pod.json": pod(json!({"memory": "8Gi"}))}));
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![crate::diff::rules::UNREADABLE]);
    }
}
