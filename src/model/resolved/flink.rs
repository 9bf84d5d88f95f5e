//! Flink jobs with their tenant, a Flink version the operator runs, and the JobManager and TaskManager
//! resources and count decided once, for the FlinkDeployment and the quota demand alike.

use crate::crd::flink::JobState;
use crate::model::demand::Demand;
use crate::model::flink::{self as m, FlinkVersion, Jar, Role};
use crate::model::pod::PodShape;
use crate::model::resolved::{Resolver, TenantRef};

#[derive(Debug, Clone)]
pub struct FlinkJob {
    pub spec: m::FlinkJob,
    pub tenant: TenantRef,
    pub image: String,
    pub version: FlinkVersion,
    pub jar: Jar,
    /// `state=`, else `running`.
    pub state: JobState,
    pub jobmanager: PodShape,
    pub taskmanager: PodShape,
    /// At peak: `taskmanager replicas=`, else `ceil(parallelism / slots)`.
    pub taskmanager_replicas: u32,
    /// The job's PriorityClass, else its tenant's.
    pub priority_class: Option<String>,
    pub demand: Demand,
    /// Whether Prometheus scrapes the job (the platform declares `monitoring`): its pods then run the
    /// Prometheus reporter on a named container port, and a PodMonitor selects them.
    pub monitored: bool,
}

pub(crate) fn resolve(r: &mut Resolver, j: &m::FlinkJob) -> Option<FlinkJob> {
    let object = format!("flink-job `{}`", j.name.value);
    let tenant = r.tenant(&j.tenant, &object)?;
    let image = r.required(j.image.as_ref(), &object, "image", j.name.span)?;
    let Some(jar) = j.jar.clone() else { return r.fail(&object, "it has no `jar`", j.name.span) };
    let Some(version) = j.version() else {
        return r.fail(&object, "its Flink version is missing or not one the operator runs", jar.span);
    };
    let state = match &j.state {
        None => JobState::Running,
        Some(s) => match JobState::parse(&s.value) {
            Some(state) => state,
            None => return r.fail(&object, format!("`{}` is not a job state", s.value), s.span),
        },
    };
    let mut shape = |role: Role| match j.resources(role, r.p) {
        Some(s) => Some(s),
        None => r.fail(
            &object,
            format!("the {} has no resources (a known size, or memory)", role.node()),
            j.component(role).map_or(j.name.span, |c| c.span),
        ),
    };
    let jobmanager = shape(Role::JobManager)?;
    let taskmanager = shape(Role::TaskManager)?;
    let Some(taskmanager_replicas) = j.taskmanager_replicas() else {
        return r.fail(&object, "its TaskManager count is unknown (no parallelism and no replicas)", j.name.span);
    };
    Some(FlinkJob {
        demand: j.demand_for(jobmanager, taskmanager, taskmanager_replicas),
        priority_class: j.priority_class.as_ref().or(tenant.priority_class.as_ref()).map(|c| c.value.clone()),
        tenant: TenantRef::of(tenant),
        image,
        version,
        jar,
        state,
        jobmanager,
        taskmanager,
        taskmanager_replicas,
        monitored: r.p.monitoring.is_some(),
        spec: j.clone(),
    })
}
