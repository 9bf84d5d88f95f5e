//! Which kinds the cluster serves. Aggregated discovery first: `/api` and `/apis` asked for
//! `apidiscovery.k8s.io/v2` answer every group, version and resource in two requests (Kubernetes 1.30+
//! serves v2; KEP-3352). A server that does not serve it answers the same requests with the classic
//! `APIVersions`/`APIGroupList`, and the walk goes on with one request per group-version strata needs, so
//! older releases keep working. A kind the spec needs but the cluster lacks is reported with the operator
//! and version to install (from the [domain registry](crate::domain)), before anything is written.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIVersions};
use kube::discovery::ApiResource;

use crate::manifest::{GroupKind, ManifestSet};
use crate::reconcile::Kube;
use crate::reconcile::error::{ApiFailure, MissingApi, ReconcileError};

/// A served resource: how to address it and whether it is namespaced.
#[derive(Debug, Clone)]
pub struct Resource {
    pub ar: ApiResource,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl Resource {
    pub fn group_kind(&self) -> GroupKind<'_> {
        GroupKind::new(&self.ar.group, &self.ar.kind)
    }
}

/// How the catalog was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// `apidiscovery.k8s.io/v2` documents from `/api` and `/apis` (two requests in all).
    Aggregated,
    /// `/api` + `/apis`, then one request per group-version.
    #[default]
    Classic,
}

/// What the cluster serves, as far as strata asked.
#[derive(Debug, Default)]
pub struct Catalog {
    /// group -> served versions, preferred first.
    pub groups: BTreeMap<String, Vec<String>>,
    pub mode: Mode,
    /// (apiVersion, kind) -> resource.
    resources: HashMap<(String, String), Resource>,
}

impl Catalog {
    pub fn resolve(&self, api_version: &str, kind: &str) -> Option<&Resource> {
        self.resources.get(&(api_version.to_string(), kind.to_string()))
    }

    /// A group-kind at the group's preferred version (used for kinds only the inventory remembers).
    pub fn resolve_group_kind(&self, gk: &str) -> Option<&Resource> {
        let GroupKind { group, kind } = GroupKind::parse(gk);
        let versions = self.groups.get(group)?;
        versions.iter().find_map(|v| self.resolve(&api_version(group, v), kind))
    }
}

fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }
}

/// What `/api` and `/apis` are asked for: aggregated discovery v2, else the classic documents. The
/// server picks the first it serves and says which in `Content-Type` (client-go's discovery client sends
/// the same list: `staging/src/k8s.io/client-go/discovery/discovery_client.go`, `acceptDiscoveryFormats`).
pub const DISCOVERY_ACCEPT: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

/// Whether a discovery answer's `Content-Type` is an aggregated discovery v2 document.
pub fn is_aggregated(content_type: &str) -> bool {
    let params: Vec<String> = content_type.split(';').skip(1).map(|p| p.trim().replace(' ', "")).collect();
    let has = |p: &str| params.iter().any(|x| x == p);
    has("g=apidiscovery.k8s.io") && has("v=v2") && has("as=APIGroupDiscoveryList")
}

/// One discovery document and whether it is the aggregated kind.
async fn discovery_document(kube: &Kube, path: &str) -> Result<(bool, serde_json::Value), ReconcileError> {
    let fail = |f: ApiFailure| ReconcileError::api(path, "get", path, None, f);
    let unreachable =
        |m: String| ApiFailure { code: 0, reason: "Unreachable".into(), message: m, conflicts: Vec::new() };
    kube.count_read();
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, DISCOVERY_ACCEPT)
        .body(kube::client::Body::empty())
        .map_err(|e| fail(unreachable(e.to_string())))?;
    let res = kube.client.send(req).await.map_err(|e| fail(ApiFailure::from_kube(&e)))?;
    let status = res.status();
    let content_type =
        res.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let bytes = res.into_body().collect_bytes().await.map_err(|e| fail(ApiFailure::from_kube(&e)))?;
    if !status.is_success() {
        let failure = match serde_json::from_slice::<kube::core::Status>(&bytes) {
            Ok(s) if s.code != 0 => ApiFailure::from_status(&s),
            _ => ApiFailure {
                code: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("Error").to_string(),
                message: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
                conflicts: Vec::new(),
            },
        };
        return Err(fail(failure));
    }
    let doc =
        serde_json::from_slice(&bytes).map_err(|e| fail(unreachable(format!("not a discovery document: {e}"))))?;
    Ok((is_aggregated(&content_type), doc))
}

/// Fills `catalog` from aggregated discovery documents (`/api` and `/apis`): every group, its versions in
/// the server's order of preference, and their resources (subresources are listed apart there).
pub fn add_aggregated(catalog: &mut Catalog, doc: &serde_json::Value) {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    for item in doc["items"].as_array().into_iter().flatten() {
        let group = s(&item["metadata"]["name"]);
        let mut versions = Vec::new();
        for v in item["versions"].as_array().into_iter().flatten() {
            let version = s(&v["version"]);
            let av = api_version(&group, &version);
            for r in v["resources"].as_array().into_iter().flatten() {
                let kind = s(&r["responseKind"]["kind"]);
                let plural = s(&r["resource"]);
                if kind.is_empty() || plural.is_empty() {
                    continue;
                }
                let verbs = r["verbs"].as_array().into_iter().flatten().map(s).collect();
                let ar = ApiResource {
                    group: group.clone(),
                    version: version.clone(),
                    api_version: av.clone(),
                    kind: kind.clone(),
                    plural,
                };
                let namespaced = r["scope"] == "Namespaced";
                catalog.resources.insert((av.clone(), kind), Resource { ar, namespaced, verbs });
            }
            versions.push(version);
        }
        catalog.groups.insert(group, versions);
    }
}

/// Discovers the groups, then the resources of every group-version that `set` uses plus the preferred
/// version of every extra group-kind (from the inventory). With aggregated discovery that is all in the
/// first two answers; otherwise group-versions are fetched in parallel.
pub async fn discover(
    kube: &Kube,
    set: &ManifestSet,
    extra_group_kinds: &BTreeSet<String>,
) -> Result<Catalog, ReconcileError> {
    let (core, groups) = tokio::join!(discovery_document(kube, "/api"), discovery_document(kube, "/apis"));
    let ((core_aggregated, core), (groups_aggregated, groups)) = (core?, groups?);
    let mut catalog = Catalog::default();
    if core_aggregated && groups_aggregated {
        catalog.mode = Mode::Aggregated;
        add_aggregated(&mut catalog, &core);
        add_aggregated(&mut catalog, &groups);
        return Ok(catalog);
    }
    let fail = |what: &str, e: kube::Error| ReconcileError::api(what, "get", what, None, ApiFailure::from_kube(&e));
    let bad = |what: &str, e: serde_json::Error| {
        let f = ApiFailure {
            code: 0,
            reason: "Unreachable".into(),
            message: format!("not a discovery document: {e}"),
            conflicts: Vec::new(),
        };
        ReconcileError::api(what, "get", what, None, f)
    };
    // A server may serve one document aggregated and not the other (a proxy in between): the classic ones
    // are asked for again then, so both halves come from one format.
    let core: APIVersions = if core_aggregated {
        kube.count_read();
        kube.client.list_core_api_versions().await.map_err(|e| fail("/api", e))?
    } else {
        serde_json::from_value(core).map_err(|e| bad("/api", e))?
    };
    let groups: APIGroupList = if groups_aggregated {
        kube.count_read();
        kube.client.list_api_groups().await.map_err(|e| fail("/apis", e))?
    } else {
        serde_json::from_value(groups).map_err(|e| bad("/apis", e))?
    };
    catalog.groups.insert(String::new(), core.versions.clone());
    for g in groups.groups {
        let mut versions: Vec<String> = Vec::new();
        if let Some(p) = &g.preferred_version {
            versions.push(p.version.clone());
        }
        for v in g.versions {
            if !versions.contains(&v.version) {
                versions.push(v.version);
            }
        }
        catalog.groups.insert(g.name, versions);
    }

    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    for m in &set.items {
        let group = m.group().to_string();
        let version = m.api_version.rsplit('/').next().unwrap_or_default().to_string();
        if catalog.groups.get(&group).is_some_and(|vs| vs.contains(&version)) {
            wanted.insert((group, version));
        }
    }
    for gk in extra_group_kinds {
        let group = GroupKind::parse(gk).group;
        if let Some(v) = catalog.groups.get(group).and_then(|vs| vs.first()) {
            wanted.insert((group.to_string(), v.clone()));
        }
    }
    let fetched: Vec<_> = futures::stream::iter(wanted)
        .map(|(group, version)| async move {
            kube.count_read();
            let av = api_version(&group, &version);
            let r = if group.is_empty() {
                kube.client.list_core_api_resources(&version).await
            } else {
                kube.client.list_api_group_resources(&av).await
            };
            (group, version, av, r)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (group, version, av, r) in fetched {
        let list = r.map_err(|e| fail(&format!("/apis/{av}"), e))?;
        for res in list.resources {
            // Subresources (`pods/log`) are not objects strata applies.
            if res.name.contains('/') {
                continue;
            }
            let ar = ApiResource {
                group: group.clone(),
                version: version.clone(),
                api_version: av.clone(),
                kind: res.kind.clone(),
                plural: res.name.clone(),
            };
            catalog
                .resources
                .insert((av.clone(), res.kind.clone()), Resource { ar, namespaced: res.namespaced, verbs: res.verbs });
        }
    }
    Ok(catalog)
}

/// Every apiVersion/kind of `set` the cluster does not serve, grouped, with examples.
pub fn missing(catalog: &Catalog, set: &ManifestSet) -> Vec<MissingApi> {
    let mut by_kind: BTreeMap<(String, String), MissingApi> = BTreeMap::new();
    for m in &set.items {
        if catalog.resolve(&m.api_version, &m.kind).is_some() {
            continue;
        }
        let e = by_kind.entry((m.api_version.clone(), m.kind.clone())).or_insert_with(|| MissingApi {
            api_version: m.api_version.clone(),
            kind: m.kind.clone(),
            served_versions: catalog.groups.get(m.group()).cloned().unwrap_or_default(),
            examples: Vec::new(),
            count: 0,
        });
        e.count += 1;
        if e.examples.len() < 3 {
            e.examples.push(m.key());
        }
    }
    by_kind.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_media_type_is_recognised_only_with_all_three_parameters() {
        assert!(is_aggregated("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"));
        assert!(is_aggregated("application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList"));
        assert!(!is_aggregated("application/json"));
        assert!(!is_aggregated("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"));
    }

    /// A one-connection-at-a-time HTTP server (a plain thread, so the test needs no extra tokio
    /// features) answering `path -> (content type, body)`; 404 otherwise. Returns its URL and the paths
    /// it was asked for.
    fn fake_server(
        routes: Vec<(&'static str, &'static str, String)>,
    ) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("").split('?').next().unwrap_or("").to_string();
                seen2.lock().unwrap().push(path.clone());
                let (status, ct, body) = match routes.iter().find(|(p, _, _)| *p == path) {
                    Some((_, ct, body)) => ("200 OK", *ct, body.clone()),
                    None => ("404 Not Found", "text/plain", "404 page not found".to_string()),
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        (url, seen)
    }

    async fn kube_at(url: &str) -> Kube {
        let kc = kube::config::Kubeconfig::from_yaml(&format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {url}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user: {{}}\ncurrent-context: c\n"
        ))
        .expect("kubeconfig");
        Kube::connect(kc, "c").await.expect("client")
    }

    fn namespace_set() -> ManifestSet {
        let mut set = ManifestSet::default();
        let ns = k8s_openapi::api::core::v1::Namespace {
            metadata: kube::api::ObjectMeta { name: Some("team".into()), ..Default::default() },
            ..Default::default()
        };
        let span = crate::source::Span { file: crate::source::FileId(0), start: 0, end: 0 };
        set.add_typed(&ns, crate::manifest::Placement { stage: crate::manifest::Stage::Cluster, tenant: None, span });
        set
    }

    #[test]
    fn a_server_without_aggregated_discovery_gets_the_classic_walk() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
        rt.block_on(async {
            // What Kubernetes 1.20 answers: the Accept list's plain `application/json`.
            let (url, seen) = fake_server(vec![
                ("/api", "application/json", r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}"#.into()),
                ("/apis", "application/json", r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}]}"#.into()),
                ("/api/v1", "application/json", r#"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","patch"]},{"name":"namespaces/status","singularName":"","namespaced":false,"kind":"Namespace","verbs":["get"]}]}"#.into()),
            ]);
            let kube = kube_at(&url).await;
            let catalog = discover(&kube, &namespace_set(), &BTreeSet::new()).await.expect("discovery");
            assert_eq!(catalog.mode, Mode::Classic);
            let ns = catalog.resolve("v1", "Namespace").expect("Namespace served");
            assert_eq!(ns.ar.plural, "namespaces");
            assert!(!ns.namespaced);
            assert_eq!(catalog.groups["apps"], vec!["v1".to_string()]);
            let mut paths = seen.lock().unwrap().clone();
            paths.sort();
            assert_eq!(paths, ["/api", "/api/v1", "/apis"]);
        });
    }

    #[test]
    fn aggregated_discovery_answers_everything_in_two_requests() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
        rt.block_on(async {
            let ct = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
            let (url, seen) = fake_server(vec![
                ("/api", ct, r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","items":[{"metadata":{},"versions":[{"version":"v1","resources":[{"resource":"namespaces","responseKind":{"group":"","version":"v1","kind":"Namespace"},"scope":"Cluster","verbs":["get","patch"],"subresources":[{"subresource":"status","verbs":["get"]}]}]}]}]}"#.into()),
                ("/apis", ct, r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","items":[{"metadata":{"name":"kafka.strimzi.io"},"versions":[{"version":"v1","resources":[{"resource":"kafkatopics","responseKind":{"group":"kafka.strimzi.io","version":"v1","kind":"KafkaTopic"},"scope":"Namespaced","verbs":["get","list","patch"]}]},{"version":"v1beta2","resources":[]}]}]}"#.into()),
            ]);
            let kube = kube_at(&url).await;
            let catalog = discover(&kube, &namespace_set(), &BTreeSet::new()).await.expect("discovery");
            assert_eq!(catalog.mode, Mode::Aggregated);
            assert!(!catalog.resolve("v1", "Namespace").expect("Namespace").namespaced);
            let topic = catalog.resolve_group_kind("KafkaTopic.kafka.strimzi.io").expect("KafkaTopic");
            assert!(topic.namespaced);
            assert_eq!(topic.ar.plural, "kafkatopics");
            assert_eq!(catalog.groups["kafka.strimzi.io"], vec!["v1".to_string(), "v1beta2".to_string()]);
            let mut paths = seen.lock().unwrap().clone();
            paths.sort();
            assert_eq!(paths, ["/api", "/apis"]);
            assert_eq!(kube.counts().reads, 2);
        });
    }
}
