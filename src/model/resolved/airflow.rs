//! Airflow deployments with their executor, home tenant, the namespaces the executor uses, and each worker
//! template's size, image and PriorityClass decided.

use crate::model::SizePreset;
use crate::model::airflow::{self as m, Executor, template_path};
use crate::model::demand::Demand;
use crate::model::resolved::{Resolver, TenantRef};

#[derive(Debug, Clone)]
pub struct Airflow {
    pub spec: m::Airflow,
    /// The tenant whose namespace runs the scheduler.
    pub home: TenantRef,
    pub executor: Executor,
    /// In spec order.
    pub templates: Vec<WorkerTemplate>,
    /// `pod_template_file`: where the default template is mounted in the scheduler pod.
    pub default_template: String,
    pub namespaces: Namespaces,
    /// `task_publish_max_retries`, decided by the spec or the home tenant's quota.
    pub publish_retries: i64,
    /// `None` when no worker template has a size: nothing then bounds the task pods' resources.
    pub demand: Option<Demand>,
}

impl Airflow {
    /// The tenants whose namespaces get the pod launcher's Role and RoleBinding; `None` in cluster-wide mode,
    /// where one ClusterRole serves every namespace.
    pub fn launch_namespaces(&self) -> Option<&[TenantRef]> {
        match &self.namespaces {
            Namespaces::ClusterWide => None,
            Namespaces::Own => Some(std::slice::from_ref(&self.home)),
            Namespaces::Listed(list) => Some(list.as_slice()),
        }
    }
}

/// Where the executor launches and watches task pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// The home namespace only.
    Own,
    /// Multi-namespace mode with a list: the home tenant first, then each listed tenant once.
    Listed(Vec<TenantRef>),
    /// Multi-namespace mode over every namespace, through a ClusterRole.
    ClusterWide,
}

#[derive(Debug, Clone)]
pub struct WorkerTemplate {
    pub spec: m::WorkerTemplate,
    /// `None`: the template states no resources (the LimitRange's defaults apply).
    pub size: Option<SizePreset>,
    /// The template's own image, else the executor's.
    pub image: String,
    /// The template's class, else the deployment's, else the home tenant's.
    pub priority_class: Option<String>,
}

pub(crate) fn resolve(r: &mut Resolver, a: &m::Airflow) -> Option<Airflow> {
    let object = format!("airflow `{}`", a.name.value);
    let home = r.tenant(&a.tenant, &object)?;
    let Some(ex) = &a.executor else { return r.fail(&object, "it has no executor", a.name.span) };
    let mut templates = Vec::new();
    for t in &ex.templates {
        let size = match &t.size {
            None => None,
            Some(s) => match r.p.presets.size(&s.value) {
                Some(size) => Some(size.clone()),
                None => return r.fail(&object, format!("size `{}` does not exist", s.value), s.span),
            },
        };
        let Some(image) = t.image.as_ref().or(ex.image.as_ref()) else {
            return r.fail(&object, format!("worker template `{}` has no image", t.name.value), t.span);
        };
        let priority_class = t.priority_class.as_ref().or(a.priority_class.as_ref()).or(home.priority_class.as_ref());
        templates.push(WorkerTemplate {
            spec: t.clone(),
            size,
            image: image.value.clone(),
            priority_class: priority_class.map(|c| c.value.clone()),
        });
    }
    let Some(default) = ex.default_template() else {
        return r.fail(&object, "which worker template is the default cannot be decided", ex.span);
    };
    let namespaces = match &ex.multi_namespace {
        None => Namespaces::Own,
        Some(mn) if mn.is_cluster_wide() => Namespaces::ClusterWide,
        Some(mn) => {
            let mut list = vec![TenantRef::of(home)];
            for t in &mn.tenants {
                let listed = r.tenant_ref(t, &object)?;
                if !list.contains(&listed) {
                    list.push(listed);
                }
            }
            Namespaces::Listed(list)
        }
    };
    let sized: Vec<_> =
        ex.templates.iter().zip(&templates).filter_map(|(t, rt)| Some((t, rt.size.as_ref()?))).collect();
    Some(Airflow {
        demand: a.demand_for(ex, &sized),
        default_template: template_path(&default.name.value),
        publish_retries: ex.publish_retries(r.p.effective_quota(home).is_some()),
        home: TenantRef::of(home),
        executor: ex.clone(),
        namespaces,
        templates,
        spec: a.clone(),
    })
}
