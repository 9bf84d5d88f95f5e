"""Airflow's own code as the judge of strata's KubernetesExecutor output.

Input (argv[1]): a JSON list of deployments, each
    {"key": str, "env": {AIRFLOW__...: value}, "templates": {"default.yaml": "<yaml>", ...},
     "template_dir": "/opt/airflow/pod_templates"}
where `env` is the executor-env ConfigMap strata emits and `templates` its pod-templates ConfigMap.

For each deployment the `[kubernetes_executor]` settings are read by the provider's own KubeConfig (from
the environment, as the scheduler reads strata's `envFrom`), and for each template the executor's own path
is followed: `get_base_pod_from_template` (PodGenerator.deserialize_model_file) and
`PodGenerator.construct_pod(...)` for a sample task, with the arguments `AirflowKubernetesScheduler.run_next`
passes (executors/kubernetes_executor_utils.py, provider 10.9.0). The constructed pod is printed as the JSON the executor would POST.

Output (stdout): a JSON list of {"key", "template", "ok", "namespace", "kube_image", "pod", "template_json"} or
{"key", "template", "ok": false, "error"}.
"""

import json
import os
import sys
import tempfile
import traceback

import yaml


def main() -> int:
    deployments = json.load(open(sys.argv[1]))
    home = tempfile.mkdtemp(prefix="airflow-oracle-")
    os.environ["AIRFLOW_HOME"] = home
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"

    from kubernetes.client import ApiClient

    from airflow.providers.cncf.kubernetes.executors.kubernetes_executor_utils import (
        get_base_pod_from_template,
    )
    from airflow.providers.cncf.kubernetes.kube_config import KubeConfig
    from airflow.providers.cncf.kubernetes.kubernetes_helper_functions import create_unique_id
    from airflow.providers.cncf.kubernetes.pod_generator import PodGenerator

    out = []
    for d in deployments:
        tdir = tempfile.mkdtemp(prefix="templates-", dir=home)
        for name, text in d["templates"].items():
            with open(os.path.join(tdir, name), "w") as f:
                f.write(text)
        saved = {}
        for k, v in d["env"].items():
            if k.startswith("AIRFLOW__KUBERNETES_EXECUTOR__") or k.startswith("AIRFLOW__CORE__"):
                # The mounted ConfigMap's path, here.
                if k == "AIRFLOW__KUBERNETES_EXECUTOR__POD_TEMPLATE_FILE" and v.startswith(d["template_dir"]):
                    v = tdir + v[len(d["template_dir"]) :]
                saved[k] = os.environ.get(k)
                os.environ[k] = v
        try:
            kube_config = KubeConfig()
        except Exception as e:  # noqa: BLE001 - every failure is a verdict
            out.append({"key": d["key"], "template": None, "ok": False, "error": f"KubeConfig: {e!r}"})
            continue
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        for name in sorted(d["templates"]):
            path = os.path.join(tdir, name)
            # The default template is the configured one; the others are chosen per task with
            # executor_config={"pod_template_file": ...}, which the executor passes the same way.
            chosen = None if kube_config.pod_template_file == path else path
            # The file as plain YAML, for the caller's field-by-field comparison with what Airflow built.
            with open(path) as f:
                as_yaml = yaml.safe_load(f)
            try:
                base = get_base_pod_from_template(chosen, kube_config)
                pod = PodGenerator.construct_pod(
                    dag_id="strata_oracle",
                    task_id="sample_task",
                    pod_id=create_unique_id("strata_oracle", "sample_task"),
                    try_number=1,
                    kube_image=kube_config.kube_image,
                    date=None,
                    run_id="manual__2025-11-14T00:00:00+00:00",
                    map_index=-1,
                    args=["airflow", "tasks", "run", "strata_oracle", "sample_task", "manual__2025-11-14"],
                    pod_override_object=None,
                    base_worker_pod=base,
                    namespace=kube_config.kube_namespace,
                    scheduler_job_id="1",
                    with_mutation_hook=True,
                )
                out.append(
                    {
                        "key": d["key"],
                        "template": name,
                        "ok": True,
                        "template_json": as_yaml,
                        "namespace": kube_config.kube_namespace,
                        "kube_image": kube_config.kube_image,
                        "pod": ApiClient().sanitize_for_serialization(pod),
                    }
                )
            except Exception as e:  # noqa: BLE001
                out.append(
                    {
                        "key": d["key"],
                        "template": name,
                        "ok": False,
                        "error": f"{type(e).__name__}: {e}",
                        "trace": traceback.format_exc(limit=3),
                    }
                )
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
