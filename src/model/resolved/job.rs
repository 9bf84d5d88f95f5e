//! Batch jobs with their tenant, image and pod size decided ([`model::job::BatchJob::shape`]
//! (crate::model::job::BatchJob::shape)), for the Job or CronJob and the quota demand alike.

use crate::model::demand::Demand;
use crate::model::job as m;
use crate::model::pod::PodShape;
use crate::model::resolved::{Resolver, TenantRef};

#[derive(Debug, Clone)]
pub struct BatchJob {
    pub spec: m::BatchJob,
    pub tenant: TenantRef,
    pub image: String,
    pub shape: PodShape,
    /// The job's PriorityClass, else its tenant's.
    pub priority_class: Option<String>,
    pub demand: Demand,
}

pub(crate) fn resolve(r: &mut Resolver, j: &m::BatchJob) -> Option<BatchJob> {
    let object = j.describe();
    let tenant = r.tenant(&j.tenant, &object)?;
    let image = r.required(j.image.as_ref(), &object, "image", j.name.span)?;
    let Some(shape) = j.shape(r.p) else {
        return r.fail(&object, "its pod does not size (a size, or cpu and memory)", j.name.span);
    };
    Some(BatchJob {
        demand: j.demand_for(shape),
        priority_class: j.priority_class.as_ref().or(tenant.priority_class.as_ref()).map(|c| c.value.clone()),
        tenant: TenantRef::of(tenant),
        image,
        shape,
        spec: j.clone(),
    })
}
