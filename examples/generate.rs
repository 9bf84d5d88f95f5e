//! Generates synthetic platforms of any size for benchmarks: tenants with Kafka topics and users, Spark jobs
//! (batch and scheduled), an Airflow executor and Flink jobs, split over many included files the way a
//! real monorepo is. `--change-percent` alters that share of the workloads deterministically, to make the
//! "head" side of a diff benchmark.
//!
//! ```sh
//! cargo run --release --example generate -- --size large --out /tmp/large
//! cargo run --release --example generate -- --tenants 30 --out /tmp/medium --change-percent 1
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

struct Args {
    tenants: usize,
    out: PathBuf,
    change_percent: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut tenants = None;
    let mut out = None;
    let mut change_percent = 0;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            // ~49 objects per tenant: medium ≈ 1,500 objects, large ≈ 15,000.
            "--size" => {
                tenants = Some(match val()?.as_str() {
                    "small" => 3,
                    "medium" => 31,
                    "large" => 306,
                    other => return Err(format!("unknown size `{other}` (small, medium, large)")),
                })
            }
            "--tenants" => tenants = Some(val()?.parse().map_err(|e| format!("--tenants: {e}"))?),
            "--out" => out = Some(PathBuf::from(val()?)),
            "--change-percent" => change_percent = val()?.parse().map_err(|e| format!("--change-percent: {e}"))?,
            "-h" | "--help" => {
                return Err(
                    "usage: generate (--size small|medium|large | --tenants N) --out DIR [--change-percent P]".into()
                );
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Args { tenants: tenants.ok_or("give --size or --tenants")?, out: out.ok_or("give --out DIR")?, change_percent })
}

const TOPICS: usize = 20;
const USERS: usize = 4;
const SPARK_JOBS: usize = 6;
const FLINK_JOBS: usize = 2;

/// Whether workload `i` of tenant `t` is in the changed share (spread evenly, deterministic).
fn changed(t: usize, i: usize, percent: usize) -> bool {
    percent > 0 && (t * 131 + i * 17) % 100 < percent
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let out = &args.out;
    for dir in ["tenants", "kafka", "spark", "airflow", "flink", "jobs", "apps"] {
        std::fs::create_dir_all(out.join(dir)).expect("create output directory");
    }
    let root = "// A synthetic platform generated for benchmarks (examples/generate.rs).
platform \"synthetic\" {
    cluster context=\"strata-test\"
    inventory namespace=\"default\"
}
include \"tenants/*.kdl\"
include \"kafka/*.kdl\"
include \"spark/*.kdl\"
include \"airflow/*.kdl\"
include \"flink/*.kdl\"
include \"jobs/*.kdl\"
include \"apps/*.kdl\"

kafka \"events\" namespace=\"kafka-events\" brokers=3 authorization=\"simple\" version=\"4.1\"
kafka \"logs\" namespace=\"kafka-logs\" brokers=5 authorization=\"simple\" version=\"4.1\"
";
    std::fs::write(out.join("platform.kdl"), root).expect("write platform.kdl");
    for t in 0..args.tenants {
        let name = format!("team-{t:04}");
        let p = args.change_percent;
        std::fs::write(out.join(format!("tenants/{name}.kdl")), tenant(&name)).expect("write tenant");
        std::fs::write(out.join(format!("kafka/{name}.kdl")), kafka(&name, t, p)).expect("write kafka");
        std::fs::write(out.join(format!("spark/{name}.kdl")), spark(&name, t, p)).expect("write spark");
        std::fs::write(out.join(format!("airflow/{name}.kdl")), airflow(&name, t, p)).expect("write airflow");
        std::fs::write(out.join(format!("flink/{name}.kdl")), flink(&name, t, p)).expect("write flink");
        std::fs::write(out.join(format!("jobs/{name}.kdl")), jobs(&name, t, p)).expect("write jobs");
        std::fs::write(out.join(format!("apps/{name}.kdl")), apps(&name, t, p)).expect("write apps");
    }
    eprintln!("generated {} tenants in {}", args.tenants, out.display());
}

pub(crate) fn tenant(name: &str) -> String {
    format!(
        "tenant \"{name}\" tier=\"large\" priority-class=\"batch\" topic-prefix=\"{name}.\" {{
    quota cpu=400 memory=\"1600Gi\" cpu-limit=800 memory-limit=\"1600Gi\" pods=2000
    network \"isolated\" {{
        egress 443 cidr=\"10.0.0.0/8\"
        ingress 9090 namespace=\"monitoring\"
    }}
    cost-center \"cc-{}\"
}}
",
        name.len() * 100
    )
}

pub(crate) fn kafka(name: &str, t: usize, p: usize) -> String {
    let mut s = String::new();
    for i in 0..TOPICS {
        let cluster = if i % 4 == 0 { "logs" } else { "events" };
        let preset = ["events", "compacted", "changelog", "events"][i % 4];
        let partitions = if changed(t, i, p) { 24 } else { 12 };
        let _ = writeln!(
            s,
            "topic \"{name}.stream-{i:02}\" kafka=\"{cluster}\" tenant=\"{name}\" preset=\"{preset}\" partitions={partitions} {{\n    config \"min.insync.replicas\" 2\n}}"
        );
    }
    for u in 0..USERS {
        let _ = writeln!(
            s,
            "kafka-user \"{name}-app-{u}\" kafka=\"events\" tenant=\"{name}\" authentication=\"tls\" {{\n    produces \"{name}.stream-{:02}\"\n    consumes \"{name}.stream-{:02}\" group=\"{name}.app-{u}\"\n}}",
            u * 4 + 1,
            u * 4 + 2
        );
    }
    s
}

pub(crate) fn spark(name: &str, t: usize, p: usize) -> String {
    let mut s = String::new();
    for j in 0..SPARK_JOBS {
        let executors = if changed(t, 100 + j, p) { 6 } else { 4 };
        let schedule = if j % 2 == 0 {
            format!("\n    schedule \"{} {} * * *\" timezone=\"UTC\"", j * 7 % 60, j)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "spark-job \"{name}-job-{j}\" tenant=\"{name}\" {{
    image \"registry.example.com/{name}/job-{j}:1.{j}.0\" spark-version=\"3.5.1\"
    main \"local:///opt/app/job.jar\" class=\"com.example.Job{j}\"
    conf \"spark.sql.shuffle.partitions\" 200
    driver size=\"s\"
    executors {executors} size=\"m\"{schedule}
}}"
        );
    }
    s
}

pub(crate) fn airflow(name: &str, t: usize, p: usize) -> String {
    let tasks = if changed(t, 200, p) { 12 } else { 8 };
    format!(
        "airflow \"{name}-af\" tenant=\"{name}\" {{
    executor \"kubernetes\" image=\"apache/airflow:3.1.3\" max-parallel-tasks={tasks} batch-size=4 {{
        worker-template \"default\" size=\"s\"
        worker-template \"highmem\" size=\"l\"
    }}
    metadata-db secret=\"airflow-metadata\"
    fernet-key secret=\"airflow-fernet-key\"
}}
"
    )
}

pub(crate) fn flink(name: &str, t: usize, p: usize) -> String {
    let mut s = String::new();
    for j in 0..FLINK_JOBS {
        let parallelism = if changed(t, 300 + j, p) { 8 } else { 4 };
        let _ = writeln!(
            s,
            "flink-job \"{name}-stream-{j}\" tenant=\"{name}\" priority-class=\"streaming\" {{
    image \"registry.example.com/{name}/stream-{j}:2.0.{j}\"
    jar \"local:///opt/flink/usrlib/job.jar\" version=\"1.20\"
    parallelism {parallelism}
    jobmanager size=\"s\"
    taskmanager size=\"m\" slots=2
    checkpoints every=\"60s\" dir=\"s3://ckpt/{name}/{j}\" savepoint-dir=\"s3://savepoints/{name}/{j}\" upgrade=\"savepoint\"
}}"
        );
    }
    s
}

pub(crate) fn jobs(name: &str, t: usize, p: usize) -> String {
    let retries = if changed(t, 400, p) { 5 } else { 3 };
    format!(
        "job \"{name}-dbt\" tenant=\"{name}\" {{
    image \"registry.example.com/{name}/dbt:1.8.2\"
    command \"dbt\" \"build\"
    resources size=\"m\"
    env \"DBT_PASSWORD\" secret=\"warehouse\" key=\"password\"
    retries {retries}
    deadline \"2h\"
    schedule \"0 2 * * *\" timezone=\"Europe/Berlin\"
}}
job \"{name}-export\" tenant=\"{name}\" {{
    image \"registry.example.com/{name}/export:2.1.0\"
    resources size=\"s\"
    ttl \"1d\"
}}
"
    )
}

pub(crate) fn apps(name: &str, t: usize, p: usize) -> String {
    let max = if changed(t, 500, p) { 8 } else { 12 };
    format!(
        "stream-app \"{name}-enricher\" tenant=\"{name}\" kafka=\"events\" authentication=\"tls\" {{
    image \"registry.example.com/{name}/enricher:1.4.2\"
    size \"s\"
    consumes \"{name}.stream-01\" group=\"{name}.enricher\"
    produces \"{name}.stream-02\"
    health port=8080 liveness=\"/healthz\" readiness=\"/ready\"
    autoscale min=2 max={max} {{
        kafka lag=500 topic=\"{name}.stream-01\"
    }}
}}
stream-app \"{name}-api\" tenant=\"{name}\" kafka=\"events\" authentication=\"tls\" {{
    image \"registry.example.com/{name}/api:3.0.0\"
    size \"s\"
    consumes \"{name}.stream-05\" group=\"{name}.api\"
    health port=8080 readiness=\"/ready\"
    autoscale min=1 max=6 cpu=\"70%\"
}}
"
    )
}
