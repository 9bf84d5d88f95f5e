//! Spark jobs with their tenant, required fields and pods: the driver and executors sized once
//! ([`model::spark::SparkJob::pods`](crate::model::spark::SparkJob::pods)), for the SparkApplication and
//! the quota demand alike.

use crate::model::demand::Demand;
use crate::model::resolved::{Resolver, TenantRef};
use crate::model::spark::{self as m, ExecutorSpec, JobPods};

#[derive(Debug, Clone)]
pub struct SparkJob {
    pub spec: m::SparkJob,
    pub tenant: TenantRef,
    pub image: String,
    pub spark_version: String,
    pub main_file: String,
    pub executors: ExecutorSpec,
    pub pods: JobPods,
    /// The job's PriorityClass, else its tenant's.
    pub priority_class: Option<String>,
    pub demand: Demand,
    /// Whether Prometheus scrapes the job (the platform declares `monitoring` and the job's Spark can be
    /// scraped natively): its sparkConf then enables the Prometheus endpoints and a PodMonitor selects its
    /// driver.
    pub monitored: bool,
}

pub(crate) fn resolve(r: &mut Resolver, j: &m::SparkJob) -> Option<SparkJob> {
    let object = format!("spark-job `{}`", j.name.value);
    let tenant = r.tenant(&j.tenant, &object)?;
    let image = r.required(j.image.as_ref(), &object, "image", j.name.span)?;
    let spark_version = r.required(j.spark_version.as_ref(), &object, "Spark version", j.name.span)?;
    let main_file = r.required(j.main_file.as_ref(), &object, "main file", j.name.span)?;
    let Some(executors) = j.executors.clone() else { return r.fail(&object, "it has no `executors`", j.name.span) };
    let Some(pods) = j.pods(r.p) else {
        return r.fail(&object, "its driver or executors do not size (a size, cores or memory)", j.name.span);
    };
    Some(SparkJob {
        demand: j.demand_for(&pods),
        priority_class: j.priority_class.as_ref().or(tenant.priority_class.as_ref()).map(|c| c.value.clone()),
        tenant: TenantRef::of(tenant),
        image,
        spark_version,
        main_file,
        executors,
        pods,
        monitored: r.p.monitoring.is_some() && j.unscrapeable().is_none(),
        spec: j.clone(),
    })
}
