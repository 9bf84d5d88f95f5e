//! The entries of the code registry, grouped by domain in [`super::DOMAINS`]' order. Each explanation is
//! written from the code that emits it (the rule, why, its upstream source, the fix): keep them in step when
//! a rule changes.

use super::CodeInfo;

pub static CODES: &[CodeInfo] = &[
    // Reading files.
    CodeInfo {
        code: "strata::io::not-found",
        summary: "a spec file (the root or an include) does not exist",
        explanation: "The file passed to strata, or named by an `include`, is not there. strata looks for \
            `./platform.kdl` when no SPEC is given, and resolves an include relative to the file that contains \
            it, not to the current directory.\n\n\
            Fix: pass the spec's path (`strata check platforms/prod.kdl`), or correct the include's path \
            relative to the including file.",
    },
    CodeInfo {
        code: "strata::io::not-a-file",
        summary: "a spec file is a FIFO, socket or device, not a regular file",
        explanation: "strata reads spec files only if they are regular files. Reading a named pipe, socket or \
            device could block forever or return endless data, so such a path is refused before anything is \
            read: the path is checked before it is opened, and opened non-blocking, so a pipe swapped in \
            between cannot block either.\n\n\
            Fix: include regular `.kdl` files only; if the spec is generated, write it to a file first.",
    },
    CodeInfo {
        code: "strata::io::directory",
        summary: "a spec path names a directory",
        explanation: "The root spec or an `include` names a directory. strata does not read every file of a \
            folder implicitly: an include names a file or a glob.\n\n\
            Fix: name the `.kdl` file, or include a glob such as `include \"tenants/*.kdl\"`.",
    },
    CodeInfo {
        code: "strata::io::too-large",
        summary: "a spec file is larger than the 8 MiB strata reads per file",
        explanation: "Each spec file may hold at most 8 MiB (`MAX_FILE_BYTES`). No hand-written platform comes \
            near it, and the bound keeps parse time and memory predictable when a spec, or an include gone \
            wrong, points at a huge or hostile file.\n\n\
            Fix: split the platform into several files and `include` them (for example one file per tenant).",
    },
    CodeInfo {
        code: "strata::io::read",
        summary: "a spec file exists but cannot be read",
        explanation: "Opening or reading the file failed for another reason than its absence: usually \
            permissions, sometimes an I/O error. The message carries the operating system's error.\n\n\
            Fix: check the file's permissions and that the user running strata may read it.",
    },
    CodeInfo {
        code: "strata::io::not-utf8",
        summary: "a spec file is not UTF-8 text",
        explanation: "KDL documents are UTF-8, and strata reads spec files only as UTF-8. The diagnostic points \
            at the first byte that is not valid UTF-8; the rest of the file is not shown, because a file that \
            is not text may not be a spec at all.\n\n\
            Fix: save the file as UTF-8 (most editors offer it under the file's encoding).",
    },
    // Includes.
    CodeInfo {
        code: "strata::include::cycle",
        summary: "includes form a cycle",
        explanation: "A file includes a file that, directly or through others, includes it again. A cycle has \
            no order to read the files in, so strata reports the chain and reads each file once. A file \
            reached twice through different routes (a diamond) is not a cycle: it is loaded once.\n\n\
            Fix: remove one include of the chain the note shows; an index file that includes the others is \
            the usual layout.",
    },
    CodeInfo {
        code: "strata::include::too-deep",
        summary: "includes nest more than 64 files deep",
        explanation: "Loading follows includes recursively, and a chain of more than 64 files (each including \
            the next) is refused (`MAX_INCLUDE_DEPTH`). No real platform is layered that deep; the bound keeps \
            a generated or hostile chain from exhausting the stack.\n\n\
            Fix: include the files from one index file instead of chaining each to the next.",
    },
    CodeInfo {
        code: "strata::include::too-many",
        summary: "the includes reach more than 100,000 spec files",
        explanation: "A platform may consist of at most 100,000 files (`MAX_FILES`: a 5,000-tenant platform with \
            20 files per tenant); the bound is there for runaway globs, not for real specs. Globs can fan \
            out, and a pattern such as `**/*.kdl` from the wrong folder can match a whole file system; past \
            the limit strata stops following includes and reports it once.\n\n\
            Fix: check the include globs; name the folders to include from (`tenants/*.kdl`).",
    },
    CodeInfo {
        code: "strata::include::no-match",
        summary: "an include glob matches no files",
        explanation: "A glob include that matches nothing is allowed (an empty folder of tenants is a valid \
            state), but it is often a typo in the pattern, so strata warns. Patterns are relative to the file \
            that contains the include. A glob never includes the file it is written in, nor a file that \
            includes that file.\n\n\
            Fix: check the pattern and the folder it is relative to, or remove the include.",
    },
    CodeInfo {
        code: "strata::include::pattern",
        summary: "an include pattern is not a valid glob",
        explanation: "The include's path contains glob characters but is not a pattern the glob syntax accepts \
            (an unclosed `[`, a `**` inside a name). The message carries the parser's reason.\n\n\
            Fix: use `*`, `?`, `[abc]` and `**` (a whole path segment) in include patterns.",
    },
    CodeInfo {
        code: "strata::include::walk",
        summary: "the files of an include glob cannot be listed",
        explanation: "Listing the folders a glob walks failed: a folder is unreadable, or the walk went through \
            something that is not a folder. The message carries the operating system's error.\n\n\
            Fix: check the permissions of the folders under the pattern, or name the folder to include from \
            (`tenants/*.kdl`) instead of a pattern over a whole tree.",
    },
    CodeInfo {
        code: "strata::include::outside",
        summary: "an include leads outside the spec's folder and its git repository",
        explanation: "By default an include may read only files in the root spec's folder or the git \
            repository around it, by a relative path. Absolute paths, and `..` past the repository's top \
            level (or a link that points out of it), are refused before anything is read. Without this \
            policy a spec reviewed in a pull request could read, and echo in its diagnostics, files such as \
            `/proc/self/environ` or `~/.kube/config` on the machine that checks it.\n\n\
            Fix: keep included files inside the repository and include them by a relative path. To read the \
            file anyway, pass `--allow-include-outside`.",
    },
    // KDL syntax.
    CodeInfo {
        code: "strata::parse::syntax",
        summary: "a spec file is not valid KDL 2.0",
        explanation: "Spec files are KDL 2.0 documents; the KDL parser refused this one, and the message and \
            label are its own. Common causes: a string without quotes where KDL needs them, `true`/`false` \
            written without the `#` of KDL 2.0 (`#true`), a property without `=`, an unclosed `{`. A file \
            that is neither KDL nor named `.kdl` shows only its first error, so an include that points at \
            the wrong file does not print what that file holds.\n\n\
            Fix: correct the syntax at the label; `strata fmt` can then lay the file out.",
    },
    CodeInfo {
        code: "strata::parse::too-deep",
        summary: "children blocks, or brackets, nest more than 32 levels deep",
        explanation: "No strata node needs more than a few levels of children, and the KDL parser recurses per \
            level, so a file that nests deeper than 32 levels (`MAX_DEPTH`) is refused before it is parsed. \
            The label points at the first block past the limit.\n\n\
            Fix: flatten the spec; deep nesting is usually a missing `}` that swallows the rest of the file.",
    },
    // The shape of the spec.
    CodeInfo {
        code: "strata::spec::unknown-node",
        summary: "a node strata does not know in this place",
        explanation: "Every node name is checked against the nodes its parent accepts (the top level, \
            `tenant`, `spark-job`, ...), so a typo is an error rather than a setting silently ignored. The \
            help suggests the closest known name, or lists the accepted ones.\n\n\
            Fix: correct the name; docs/language.md lists every node and where it goes.",
    },
    CodeInfo {
        code: "strata::spec::unknown-property",
        summary: "a property the node does not accept",
        explanation: "Every `key=value` on a node is checked against the properties that node reads, so a \
            misspelt property fails instead of leaving its default in place unnoticed. The help suggests the \
            closest accepted property, or lists them.\n\n\
            Fix: correct the key, or move the setting to the node it belongs to (see docs/language.md).",
    },
    CodeInfo {
        code: "strata::spec::missing-argument",
        summary: "a node lacks a required positional argument, usually its name",
        explanation: "Nodes such as `tenant`, `topic` or `spark-job` take their name (and some nodes a value) \
            as a positional argument right after the node name. Without it the node cannot be identified or \
            referred to.\n\n\
            Fix: write it after the node name, e.g. `tenant \"analytics\"`.",
    },
    CodeInfo {
        code: "strata::spec::extra-argument",
        summary: "a node has more positional arguments than it takes",
        explanation: "The node takes fewer positional arguments than were written. Often a property was written \
            without its key (`topic \"t\" \"main\"` instead of `kafka=\"main\"`). The help lists the node's \
            properties when it has any.\n\n\
            Fix: remove the argument, or write it as the property it was meant to be.",
    },
    CodeInfo {
        code: "strata::spec::missing-property",
        summary: "a node lacks a required property",
        explanation: "Some properties have no sensible default and must be given: a topic's `kafka`, a \
            workload's `tenant`, the `secret` of a Secret reference such as `metadata-db`. The help shows the \
            property with an example value.\n\n\
            Fix: add the property to the node.",
    },
    CodeInfo {
        code: "strata::spec::duplicate-property",
        summary: "a property is given twice on one node",
        explanation: "KDL allows a property to repeat (the last one wins), which hides mistakes: a copy-pasted \
            `partitions=6 ... partitions=12` would silently keep the second. strata refuses the repetition \
            and labels both.\n\n\
            Fix: keep one of them.",
    },
    CodeInfo {
        code: "strata::spec::duplicate-node",
        summary: "a child node that may appear once is given twice",
        explanation: "Children that configure one thing (a job's `image`, `driver`, `restart`, an airflow's \
            `executor`) may appear once per parent; a second one would silently replace or merge with the \
            first. Both are labelled.\n\n\
            Fix: keep one of them and merge their settings.",
    },
    CodeInfo {
        code: "strata::spec::unexpected-children",
        summary: "a node that takes no children block has one",
        explanation: "The node is configured by its arguments and properties only; a `{ ... }` block after it \
            would be ignored, so it is refused.\n\n\
            Fix: move the settings into properties of the node (`quota cpu=4`), or remove the block.",
    },
    CodeInfo {
        code: "strata::spec::type-annotation",
        summary: "a node has a KDL type annotation strata does not use",
        explanation: "KDL lets a node carry a type annotation, `(type)name`. strata gives annotations no \
            meaning, so one is refused rather than ignored: it suggests a setting that does nothing.\n\n\
            Fix: remove the `(...)` before the node name.",
    },
    CodeInfo {
        code: "strata::spec::type",
        summary: "a value has the wrong type or does not parse",
        explanation: "Every argument and property has a type: a string, a whole number, a boolean (`#true`), a \
            size with its unit (`4Gi`), a CPU amount (`500m`), a duration (`30s`). The value did not parse as \
            that type; the help says what was expected, and suggests the likely unit for sizes (`4GB` is \
            not a Kubernetes unit, `4Gi` is). Resource values are parsed the way Kubernetes parses \
            quantities.\n\n\
            Fix: write the value in the expected form; docs/language.md, \"Values and units\", lists them.",
    },
    CodeInfo {
        code: "strata::spec::invalid-value",
        summary: "a value is not one of the values the setting accepts",
        explanation: "The setting takes one of a fixed set of words (a network mode, a restart policy, an \
            authentication type, an upgrade mode). The help suggests the closest one, or lists them all.\n\n\
            Fix: use one of the listed values.",
    },
    CodeInfo {
        code: "strata::spec::env",
        summary: "an `env` entry is neither a plain value nor a complete Secret reference",
        explanation: "An environment variable is either a literal, `env \"NAME\" \"value\"`, or a Secret key, \
            `env \"NAME\" secret=\"name\" key=\"key\"` (a `secretKeyRef` in the pod). Giving both, a Secret \
            without its key, a key without its Secret, or nothing at all cannot be turned into a container \
            variable.\n\n\
            Fix: keep exactly one of the two forms. Secrets belong in Secrets: use the second form for \
            passwords and tokens.",
    },
    // The platform node.
    CodeInfo {
        code: "strata::platform::missing",
        summary: "the spec has no `platform` node",
        explanation: "The root spec must name the platform: `platform \"acme-data\" { ... }`. The name is \
            stamped on every object (`app.kubernetes.io/part-of`) and names the ApplySet inventory that \
            `apply` prunes by, so nothing can be emitted without it. Reported only when the spec has no \
            other errors.\n\n\
            Fix: start the root spec file with `platform \"<name>\" { cluster context=\"<kube context>\" }`.",
    },
    CodeInfo {
        code: "strata::platform::not-root",
        summary: "the `platform` node is in an included file",
        explanation: "The `platform` node describes the whole spec and belongs in the root file, the one passed \
            to strata. In an included file it would make the meaning of that file depend on who includes \
            it.\n\n\
            Fix: move the `platform` node to the root spec file.",
    },
    CodeInfo {
        code: "strata::platform::duplicate",
        summary: "the spec has two `platform` nodes",
        explanation: "A spec describes exactly one platform: one name, one kube context, one inventory. A second \
            `platform` node would contradict the first.\n\n\
            Fix: keep one `platform` node and merge the settings.",
    },
    CodeInfo {
        code: "strata::platform::name",
        summary: "the platform name is not a valid Kubernetes name, or is longer than 40 characters",
        explanation: "The platform's name becomes a label value and part of object names: the ApplySet \
            inventory Secret (`strata-<platform>`), the platform lock Lease, labels on every object. It must \
            be a DNS-1123 label (lower-case letters, digits and `-`), and at most 40 characters so the names \
            built from it stay within Kubernetes' 63-character limits.\n\n\
            Fix: rename the platform, e.g. `acme-data`.",
    },
    CodeInfo {
        code: "strata::platform::inventory",
        summary: "the inventory namespace is not a valid namespace name",
        explanation: "`inventory namespace=\"...\"` names the namespace that holds the platform's ApplySet \
            parent and its lock (default `strata-system`). Namespace names are DNS-1123 labels: lower-case \
            letters, digits and `-`, at most 63 characters.\n\n\
            Fix: use a valid namespace name.",
    },
    // Environments.
    CodeInfo {
        code: "strata::env::required",
        summary: "the spec declares environments and none was chosen",
        explanation: "A spec with `environment` blocks is a template: each environment is a platform of its \
            own (its own kube context, ApplySet, inventory and lock), and the base spec alone is deployed \
            nowhere. `apply`, `plan`, `drift` and `cost` act on one environment; `check` checks them all when \
            none is named; `compile` and `diff` take `--all-envs`.\n\n\
            Fix: pass `--env NAME`, one of the environments the message lists.",
    },
    CodeInfo {
        code: "strata::env::unknown",
        summary: "`--env` names an environment the spec does not declare",
        explanation: "The environment given with `--env` (or `--from-env`) is not declared by any `environment \
            \"NAME\"` block of the spec or of a file it includes. The message suggests the closest name.\n\n\
            Fix: pick one of the listed environments, or declare it: `environment \"staging\" \
            context=\"stg-eks\" { ... }`.",
    },
    CodeInfo {
        code: "strata::env::name",
        summary: "an environment's name is not a DNS label of at most 40 characters",
        explanation: "An environment's name becomes part of Kubernetes object names: its ApplySet parent \
            `strata-<platform>-<environment>` and its Lease. It must be lowercase letters, digits and `-`, \
            start and end with a letter or digit, and stay short enough that those names remain valid.\n\n\
            Fix: rename it, e.g. `prod-eu` instead of `Prod_EU`.",
    },
    CodeInfo {
        code: "strata::env::context-twice",
        summary: "an environment names its kube context in two of its blocks",
        explanation: "One environment may be spread over several files (its overrides of a tenant next to the \
            tenant), but it is applied to one cluster: `context=` may be given on one of its blocks only, so \
            which cluster production is never depends on file order.\n\n\
            Fix: keep `context=` on one `environment` block and remove it from the others.",
    },
    CodeInfo {
        code: "strata::env::operation",
        summary: "an override's `(...)` annotation is not `add`, `remove` or `replace`, or is misused",
        explanation: "In an `environment` block a plain node merges into the base node it names; `(add)` adds a \
            node the base lacks, `(remove)` drops one and takes nothing but the node's name and identifying \
            argument, `(replace)` swaps one wholesale.\n\n\
            Fix: use one of the three annotations, or none to merge.",
    },
    CodeInfo {
        code: "strata::env::no-target",
        summary: "an override names no node of the base spec",
        explanation: "A plain node in an `environment` block must name a node of the base spec: by its name \
            and identifying argument at the top level (`tenant \"analytics\"`) and for keyed children \
            (`config`, `label`, `env`, `count`, `selector`, `alert`, ...), by its name alone for the other \
            children (`quota`, `image`, `network`). strata never turns an unmatched override into a new node: a \
            typo in a tenant's name would otherwise deploy a second, empty tenant to production.\n\n\
            Fix: correct the name (the message suggests the closest), write `(add)` to add the node only in \
            this environment, or `(replace)` to change a value-like argument wholesale.",
    },
    CodeInfo {
        code: "strata::env::ambiguous",
        summary: "an override matches several nodes of the base spec",
        explanation: "The override names a child that appears several times under its parent without an \
            identifying argument (two `egress` rules), so strata cannot tell which one it changes.\n\n\
            Fix: override the parent with `(replace)` and write out all of its children for this environment.",
    },
    CodeInfo {
        code: "strata::env::exists",
        summary: "an `(add)` names a node the base spec already has",
        explanation: "`(add)` adds a node only this environment has; the base already declares one with this \
            name, so adding it would declare it twice.\n\n\
            Fix: drop `(add)` to override the base node, or use `(replace)` to swap it wholesale.",
    },
    CodeInfo {
        code: "strata::env::not-overridable",
        summary: "an `environment` block holds an `include` or another `environment`",
        explanation: "Environments override nodes of the base spec; includes are resolved before any \
            environment applies, and environments do not nest.\n\n\
            Fix: move the include to the top level (and `(add)` the nodes it would bring in this environment \
            only), and declare each environment at the top level.",
    },
    // The standard library.
    CodeInfo {
        code: "strata::stdlib::broken",
        summary: "a file of the built-in standard library does not parse",
        explanation: "The standard library (sizes, tiers, priority classes, topic presets) is compiled into the \
            binary and parsed on every run. A unit test keeps every stdlib file parsing, so this error means \
            the binary itself was built from a broken stdlib.\n\n\
            Fix: report it; `strata stdlib` prints the files the binary contains.",
    },
    // Sizes and tiers.
    CodeInfo {
        code: "strata::preset::duplicate",
        summary: "the platform defines a size, tier or priority class twice",
        explanation: "A preset is referred to by name, so two definitions of one name would make references \
            ambiguous; a later definition does not replace an earlier one. Defining a standard library name \
            once is allowed: it overrides the stdlib's preset (see `strata stdlib`).\n\n\
            Fix: remove one definition, or give it another name.",
    },
    CodeInfo {
        code: "strata::preset::limit-below-request",
        summary: "a size's cpu-limit or memory-limit is below its request",
        explanation: "A size becomes each container's `resources`: `cpu`/`memory` the requests, \
            `cpu-limit`/`memory-limit` the limits. The API server rejects a container whose limit is below \
            its request (pod validation, `resources.limits` must be at least `resources.requests`), so every \
            pod using the size would be refused.\n\n\
            Fix: raise the limit or lower the request.",
    },
    CodeInfo {
        code: "strata::preset::zero-size",
        summary: "a size requests no CPU or no memory",
        explanation: "A size with `cpu` or `memory` of zero schedules pods that ask for nothing: the scheduler \
            packs them anywhere, quota fit counts nothing for them, and they are the first to be evicted \
            under pressure. It is always a mistake in the preset.\n\n\
            Fix: give the size a real request, e.g. `cpu=\"250m\" memory=\"512Mi\"`.",
    },
    // Priority classes.
    CodeInfo {
        code: "strata::priority-class::name",
        summary: "a priority class name is not a valid Kubernetes name",
        explanation: "PriorityClass names are DNS-1123 subdomains: lower-case letters, digits, `-` and `.`, at \
            most 253 characters. The API server refuses any other name.\n\n\
            Fix: rename the priority class.",
    },
    CodeInfo {
        code: "strata::priority-class::reserved",
        summary: "a priority class name uses the reserved `system-` or `kube-` prefix",
        explanation: "Kubernetes reserves PriorityClass names starting with `system-` for its own classes \
            (`system-cluster-critical`, `system-node-critical`); the API server refuses new ones, and strata \
            refuses `kube-` too.\n\n\
            Fix: drop the prefix, e.g. `critical` instead of `system-critical`.",
    },
    CodeInfo {
        code: "strata::priority-class::value",
        summary: "a priority value is outside what user classes may use",
        explanation: "A user PriorityClass value must lie between -2147483648 and 1000000000; higher values are \
            reserved for the system classes, and the API server refuses them \
            (`scheduling.HighestUserDefinablePriority`).\n\n\
            Fix: use a value of at most 1000000000; only the order between classes matters.",
    },
    CodeInfo {
        code: "strata::priority-class::unknown",
        summary: "a workload or tier names a priority class that is not defined",
        explanation: "`priority-class=\"...\"` must name a class of the standard library (`strata stdlib \
            priority-classes`) or one the platform defines. A pod naming a PriorityClass that does not exist \
            is refused by the Priority admission plugin, so the job would fail only when it starts.\n\n\
            Fix: correct the name (the help suggests the closest), or define it with `priority-class \
            \"<name>\" value=...`.",
    },
    // Tenants.
    CodeInfo {
        code: "strata::tenant::duplicate",
        summary: "two tenants have the same name",
        explanation: "Tenant names are unique across every file of the platform: a tenant is a namespace, a \
            quota and the owner of its workloads, and everything refers to it by name.\n\n\
            Fix: rename one tenant, or merge the two definitions.",
    },
    CodeInfo {
        code: "strata::tenant::duplicate-namespace",
        summary: "two tenants use the same namespace",
        explanation: "Each tenant gets a namespace of its own (its name, or `namespace=\"...\"`), with its own \
            ResourceQuota, LimitRange and NetworkPolicies. Two tenants in one namespace would share and \
            overwrite those objects. A namespace given explicitly also collides with another tenant's \
            default, its name.\n\n\
            Fix: give each tenant its own namespace.",
    },
    CodeInfo {
        code: "strata::tenant::name",
        summary: "a tenant name is not a valid namespace name",
        explanation: "Without `namespace=\"...\"`, a tenant's name is its namespace, and namespace names are \
            DNS-1123 labels: lower-case letters, digits and `-`, starting and ending with a letter or digit, \
            at most 63 characters (apimachinery `IsDNS1123Label`). The help suggests a valid form.\n\n\
            Fix: rename the tenant, or keep the name and set a valid `namespace`.",
    },
    CodeInfo {
        code: "strata::tenant::namespace",
        summary: "a tenant's namespace is not a valid namespace name",
        explanation: "`namespace=\"...\"` must be a DNS-1123 label: lower-case letters, digits and `-`, starting \
            and ending with a letter or digit, at most 63 characters. The API server refuses any other \
            namespace name.\n\n\
            Fix: use a valid namespace name (the help suggests one).",
    },
    CodeInfo {
        code: "strata::tenant::reserved-namespace",
        summary: "a tenant's namespace is a built-in namespace or uses the `kube-` prefix",
        explanation: "`default`, `kube-system`, `kube-public` and `kube-node-lease` are shared by the whole \
            cluster, and `kube-` names are reserved for Kubernetes' own components. A tenant there would put \
            its quota and isolating NetworkPolicies on namespaces other components rely on, and pruning the \
            tenant could delete the namespace.\n\n\
            Fix: give the tenant a namespace of its own, e.g. its name.",
    },
    CodeInfo {
        code: "strata::tenant::unknown-tier",
        summary: "a tenant names a tier that is not defined",
        explanation: "`tier=\"...\"` must name a tier of the standard library (`strata stdlib tiers`) or one the \
            platform defines; the tier supplies the tenant's quota when it gives none.\n\n\
            Fix: correct the name (the help suggests the closest), or define the tier with `tier \"<name>\" \
            { quota ... }`.",
    },
    CodeInfo {
        code: "strata::tenant::quota-count",
        summary: "a quota `count` names no resource, repeats one, or writes the `count/` prefix",
        explanation: "`count \"<resource>\" N` becomes the ResourceQuota entry `count/<resource>`: the resource \
            is the lower-case plural, with its API group for resources outside the core group \
            (`jobs.batch`, `sparkapplications.sparkoperator.k8s.io`). strata adds `count/` itself, and each \
            resource may be counted once.\n\n\
            Fix: write `count \"jobs.batch\" 10`, without `count/`, once per resource.",
    },
    CodeInfo {
        code: "strata::tenant::quota-count-group",
        summary: "a quota counts a resource by a bare name that is not a core resource",
        explanation: "A ResourceQuota counts objects as `count/<resource>` for the core API group and \
            `count/<resource>.<group>` for every other group (Kubernetes docs, \"Resource Quotas\", object \
            count quota). `count \"sparkapplications\" 10` is accepted by the API server but counts nothing, \
            since no core resource has that name, so the limit silently never applies.\n\n\
            Fix: add the API group, e.g. `count \"sparkapplications.sparkoperator.k8s.io\" 10` (the help \
            names it for the kinds strata knows).",
    },
    CodeInfo {
        code: "strata::tenant::quota-limit-below-request",
        summary: "a quota's cpu-limit or memory-limit is below its cpu or memory",
        explanation: "Every container's limit is at least its request, so the sum of limits in a namespace is at \
            least the sum of requests. With `limits.cpu` below `requests.cpu` the requests quota can never be \
            reached: pods are refused for the limit first, and the request figure is meaningless.\n\n\
            Fix: raise `cpu-limit`/`memory-limit` to at least `cpu`/`memory`, or drop the request figure.",
    },
    CodeInfo {
        code: "strata::tenant::quota-zero-pods",
        summary: "a tenant's quota allows no pods",
        explanation: "`pods=0` makes the ResourceQuota refuse every pod in the tenant's namespace: no job, \
            worker or operator-created pod can run. It is a warning because freezing a tenant can be \
            deliberate.\n\n\
            Fix: raise `pods`, or remove it to leave the pod count unlimited.",
    },
    CodeInfo {
        code: "strata::tenant::limits-order",
        summary: "a tenant's container defaults contradict each other or the maximum",
        explanation: "`limits` becomes the tenant's LimitRange. A default request above the default limit \
            (`default-cpu-request` above `default-cpu`), or a default limit above `max-cpu`/`max-memory`, makes \
            the LimitRanger refuse every container that relies on the defaults.\n\n\
            Fix: order them: default request, then default limit, then maximum.",
    },
    CodeInfo {
        code: "strata::tenant::limits-over-quota",
        summary: "a tenant's default container limit is above its whole quota",
        explanation: "A container without resources gets the LimitRange's default limit. If that default alone \
            exceeds the namespace's `limits.cpu` or `limits.memory` quota, the quota admission refuses every \
            such pod, however empty the namespace is.\n\n\
            Fix: lower `default-cpu`/`default-memory`, or raise the quota.",
    },
    CodeInfo {
        code: "strata::tenant::derived-limits",
        summary: "strata derived a tenant's container defaults from size `xs` (a note)",
        explanation: "When a quota constrains CPU or memory, Kubernetes refuses pods whose containers do not \
            state those resources (the quota needs a figure to count). So that such pods are admitted, strata \
            adds a LimitRange whose defaults are the requests and limits of size `xs`, and says so with this \
            note (shown with `--explain`).\n\n\
            Fix: nothing to fix; to choose the defaults yourself, write `limits default-cpu=... \
            default-memory=...` in the tenant.",
    },
    CodeInfo {
        code: "strata::tenant::network-rules-ignored",
        summary: "network rules on a tenant whose network is `open`",
        explanation: "An `open` tenant gets no NetworkPolicy, so its `ingress`/`egress` rules would have no \
            effect: Kubernetes allows all traffic to and from pods no policy selects.\n\n\
            Fix: use `network \"isolated\"` to enforce the rules, or remove them.",
    },
    CodeInfo {
        code: "strata::tenant::network-peer",
        summary: "a network rule names no peer, both kinds of peer, or an invalid namespace",
        explanation: "Each `ingress`/`egress` rule allows traffic with exactly one peer: a namespace \
            (`namespace=\"kafka\"`, a namespaceSelector on its name) or an address block (`cidr=\"10.0.0.0/8\"`, \
            an ipBlock). A rule with neither, or both, has no single meaning; a namespace must be a valid \
            namespace name.\n\n\
            Fix: give exactly one of `namespace` or `cidr`.",
    },
    CodeInfo {
        code: "strata::tenant::network-cidr",
        summary: "a network rule's `cidr` is not an address block",
        explanation: "`cidr` becomes a NetworkPolicy `ipBlock.cidr`, which must be an IPv4 or IPv6 address with \
            a prefix length (`10.0.0.0/8`, `2001:db8::/32`); the API server refuses anything else.\n\n\
            Fix: write the block with its prefix length.",
    },
    CodeInfo {
        code: "strata::tenant::network-port",
        summary: "a network rule allows port 0",
        explanation: "NetworkPolicy ports are 1 to 65535; port 0 is refused by the API server and would allow \
            nothing.\n\n\
            Fix: give the service's port, e.g. `egress 9092 namespace=\"kafka\"`.",
    },
    CodeInfo {
        code: "strata::tenant::label-reserved",
        summary: "a tenant label uses a key strata sets itself",
        explanation: "strata stamps every object with `app.kubernetes.io/*` and `strata.dev/*` labels (managed \
            by, part of, tenant, source) and the tenant namespace with the `pod-security.kubernetes.io/*` \
            labels of its Pod Security level. A tenant label with such a key would overwrite them, breaking \
            pruning, drift detection or the security level.\n\n\
            Fix: use a key of your own, e.g. `acme.io/team`.",
    },
    CodeInfo {
        code: "strata::tenant::label-key",
        summary: "a tenant label key is not a key the API server accepts",
        explanation: "Label keys are an optional DNS-1123 subdomain prefix and `/`, then a name of at most 63 \
            ASCII letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit \
            (apimachinery `IsQualifiedName`). Any other key makes the API server refuse the namespace.\n\n\
            Fix: write `[prefix/]name`, e.g. `acme.io/cost-center`.",
    },
    CodeInfo {
        code: "strata::tenant::label-value",
        summary: "a tenant label value is not a value the API server accepts",
        explanation: "Label values are empty or at most 63 ASCII letters, digits, `-`, `_` and `.`, starting \
            and ending with a letter or digit (apimachinery `IsValidLabelValue`). Spaces, `/` and `:` are not \
            allowed.\n\n\
            Fix: shorten or simplify the value (the help suggests one).",
    },
    CodeInfo {
        code: "strata::tenant::cost-center",
        summary: "a tenant's `cost-center` is not a label value, is given twice, or repeats a `label \"cost-center\"`",
        explanation: "`cost-center \"cc-4120\"` becomes the `cost-center` label on every object of the tenant and \
            on every pod its workloads make (pod templates, Spark driver and executor labels, Airflow's pod \
            template file), so OpenCost and Kubecost (`aggregate=label:cost-center`) split costs as `strata \
            cost` does. Its value must be a label value (apimachinery `IsValidLabelValue`); a tenant has one \
            cost centre, and a namespace `label \"cost-center\"` next to it would set the same label twice.\n\n\
            Fix: keep one `cost-center` with a label-safe value and drop the `label`.",
    },
    // Quota fit.
    CodeInfo {
        code: "strata::quota::fit",
        summary: "a tenant's peak demand does not fit its ResourceQuota",
        explanation: "strata adds up what every workload of the tenant asks for when all run at once, with pods \
            sized as the operators will size them (Spark drivers and executors with their memory overhead, \
            Flink JobManagers and TaskManagers, Airflow workers times `max-parallel-tasks`), and compares it \
            with each quota dimension (`requests.cpu`, `limits.memory`, `pods`, object counts). Workloads of \
            one exclusive group count once, as their largest member in each dimension. Kubernetes finds out \
            only pod by pod, at run time: the quota admission refuses the pods that do not fit, and a job \
            stays incomplete or never starts. With the Spark operator's \
            `--enable-resource-quota-enforcement`, its webhook refuses the application outright \
            (`validateResourceUsage`).\n\n\
            Fix: the help names the smallest change that keeps every workload (fewer replicas of the role \
            that weighs most) and the quota value that would fit; the note shows the arithmetic. Workloads \
            that never overlap can share an `exclusive-group`.",
    },
    CodeInfo {
        code: "strata::quota::near",
        summary: "a tenant's peak demand uses more than 90% of a quota dimension",
        explanation: "The tenant fits its quota at peak, but with less than 10% headroom (`NEAR_QUOTA_PERCENT`): \
            a retried executor, a larger input, a second run of a scheduled job or a failover pod will be \
            refused by the quota admission. `strata diff` warns with the same threshold when a change makes \
            a workload grow (`strata::diff::near-quota`).\n\n\
            Fix: raise the quota dimensions named, or trim the workloads the note lists.",
    },
    CodeInfo {
        code: "strata::quota::lonely-group",
        summary: "an exclusive group has only one workload",
        explanation: "`exclusive-group=\"...\"` tells strata that the group's workloads never run at the same \
            time, so the group counts once, as its largest member. A group with a single member saves \
            nothing, and is usually a misspelt group name: the workload meant to share it is counted on its \
            own and the peak looks larger than it is.\n\n\
            Fix: correct the group's name (the help suggests the closest), or remove it.",
    },
    CodeInfo {
        code: "strata::quota::peak",
        summary: "a tenant's peak demand against each quota dimension (a note)",
        explanation: "Shown with `--explain` for every tenant that has workloads: the demand of all of them \
            running at once, per quota dimension, with the share of the quota it uses, or `(no quota)` when \
            the dimension is unlimited. Exclusive groups count as their largest member; object counts always \
            add up, since a workload's objects exist whether or not it runs.\n\n\
            Fix: nothing to fix; `strata::quota::fit` and `strata::quota::near` report the dimensions that \
            need attention.",
    },
    // Admission.
    CodeInfo {
        code: "strata::admission::limit-range",
        summary: "a workload's pods would be refused by the tenant's LimitRange",
        explanation: "Each tenant namespace has a LimitRange (`limits`, or defaults derived from size `xs`). \
            When an operator creates a pod, long after `apply` succeeded, the LimitRanger admission plugin \
            first fills in what a container leaves out (the default limit and request), then refuses the pod \
            if a container is below `min`, above `max`, or bursts past `max-*-ratio` (limit divided by \
            request). strata applies the same steps to every pod of every workload (kubernetes \
            `plugin/pkg/admission/limitranger/admission.go`) and quotes the plugin's message; the pod then \
            never exists, and the job fails or hangs.\n\n\
            Fix: size the workload within the tenant's limits, or widen the tenant's `limits`; the note says \
            which values the LimitRange filled in.",
    },
    // The network model.
    CodeInfo {
        code: "strata::network::flows",
        summary: "the network flows an isolated tenant needs, and what allows each (a note)",
        explanation: "An isolated tenant's pods may talk only to what its NetworkPolicies allow. strata derives \
            the flows the platform itself needs (DNS, the namespace's own pods, Kafka clients to their \
            brokers, the Flink operator to each JobManager's REST port, drivers to the API server) and emits a \
            NetworkPolicy for each one a policy can allow; with `--explain` this note lists every flow and the policy or rule that \
            allows it.\n\n\
            Fix: nothing to fix; a flow marked BLOCKED is reported as a warning of its own.",
    },
    CodeInfo {
        code: "strata::network::flow-blocked",
        summary: "a tenant's own network rule replaces a flow strata would allow, without its ports",
        explanation: "When a tenant writes its own `egress` rule for a namespace, that rule takes the place of \
            the NetworkPolicy strata would add for the same peer. If it does not open the ports a flow of the \
            platform needs (a Kafka client's broker port, for example), the connection fails at run time, \
            with a timeout rather than an error.\n\n\
            Fix: add the ports to the rule, as the help shows, or remove the rule so strata's policy applies.",
    },
    CodeInfo {
        code: "strata::network::operator-namespace",
        summary: "the Flink operator's namespace is not a valid namespace name",
        explanation: "`operators { flink namespace=\"...\" }` in `platform` names where the Flink operator runs, \
            so that the NetworkPolicy of each isolated tenant lets it reach the JobManagers. It must be a \
            DNS-1123 label, like every namespace name.\n\n\
            Fix: use the namespace the operator is installed in.",
    },
    // Kafka (Strimzi).
    CodeInfo {
        code: "strata::kafka::duplicate-cluster",
        summary: "two `kafka` nodes have the same name",
        explanation: "Each `kafka` node describes one existing Strimzi `Kafka` resource, and topics and users \
            refer to it by name (`kafka=\"main\"`), so names are unique.\n\n\
            Fix: rename or remove one of them.",
    },
    CodeInfo {
        code: "strata::kafka::cluster-name",
        summary: "a Kafka cluster name is not a valid Kubernetes name",
        explanation: "The name is the Strimzi `Kafka` resource's name, which strata writes into every topic's and \
            user's `strimzi.io/cluster` label; the Topic and User Operators match on it. It must be a DNS-1123 \
            label: lower-case letters, digits and `-`, at most 63 characters.\n\n\
            Fix: use the `Kafka` resource's real name.",
    },
    CodeInfo {
        code: "strata::kafka::namespace",
        summary: "a Kafka cluster's namespace is not a valid namespace name",
        explanation: "`namespace=\"...\"` says where the Strimzi `Kafka` resource runs; strata puts the cluster's \
            KafkaTopics and KafkaUsers there, because the Topic and User Operators watch only that namespace. \
            It must be a DNS-1123 label.\n\n\
            Fix: use the namespace the `Kafka` resource is in.",
    },
    CodeInfo {
        code: "strata::kafka::brokers",
        summary: "a Kafka cluster declares zero brokers",
        explanation: "`brokers=N` is the number of broker nodes of the cluster; strata checks every topic's \
            replication factor against it and picks default replicas from it. A cluster without brokers can \
            hold no topic.\n\n\
            Fix: give the number of brokers the cluster runs, e.g. `brokers=3`.",
    },
    CodeInfo {
        code: "strata::kafka::version",
        summary: "a Kafka cluster's `version` is not a Kafka version",
        explanation: "`version=\"4.1\"` is the Kafka version the brokers run. strata uses it to know which topic \
            configs exist (keys added or removed between versions) and which values they accept, so it must \
            parse as `major.minor` or `major.minor.patch`.\n\n\
            Fix: write the version the brokers run, e.g. `version=\"4.1\"`.",
    },
    CodeInfo {
        code: "strata::kafka::supports-admin-api",
        summary: "`supports-admin-api` on a cluster whose authorization is not `custom`",
        explanation: "`supports-admin-api=#true` mirrors Strimzi's `supportsAdminApi` of a custom authorizer: it \
            says the authorizer manages ACLs through Kafka's Admin API, so the User Operator may write \
            KafkaUser ACLs. With `simple` authorization ACLs always go through the Admin API, and with none \
            there is no authorizer, so the flag means nothing.\n\n\
            Fix: remove it, or set `authorization=\"custom\"`.",
    },
    CodeInfo {
        code: "strata::kafka::unknown-cluster",
        summary: "a topic or user names a Kafka cluster that is not declared, or none is declared",
        explanation: "Topics and users live on a cluster declared with `kafka \"<name>\" namespace=... \
            brokers=...`: the declaration tells strata the namespace to put them in and the broker count to \
            check against. The name given matches no declared cluster, or the platform declares none.\n\n\
            Fix: correct the name (the help suggests the closest), or declare the cluster.",
    },
    CodeInfo {
        code: "strata::kafka::cluster-required",
        summary: "a topic or user does not say which of several Kafka clusters it is on",
        explanation: "With a single declared cluster, `kafka=\"...\"` may be left out. With several, a topic or \
            user without it is ambiguous, and guessing could create a topic on the wrong cluster.\n\n\
            Fix: add `kafka=\"<cluster>\"`.",
    },
    CodeInfo {
        code: "strata::kafka::unknown-tenant",
        summary: "a topic or user names a tenant that is not declared",
        explanation: "`tenant=\"...\"` makes the tenant the owner: the topic must start with the tenant's \
            `topic-prefix`, and the user's tenant gets the egress rule to the brokers. The name matches no \
            tenant of the platform.\n\n\
            Fix: correct the name (the help suggests the closest), or declare the tenant.",
    },
    CodeInfo {
        code: "strata::kafka::unknown-preset",
        summary: "a topic names a topic preset that is not defined",
        explanation: "`preset=\"...\"` must name a `topic-preset` of the platform or of the standard library \
            (`strata stdlib topics`: `events`, `compacted`, `changelog`, `dead-letter`, ...). The preset \
            supplies the topic's defaults.\n\n\
            Fix: correct the name (the help suggests the closest), or define it with `topic-preset \
            \"<name>\" { config ... }`.",
    },
    CodeInfo {
        code: "strata::kafka::duplicate-preset",
        summary: "the platform defines a topic preset twice",
        explanation: "Topic presets are referred to by name; two platform definitions of one name are \
            ambiguous. A platform preset with the name of a standard library preset replaces the stdlib's, \
            which is allowed once.\n\n\
            Fix: rename or merge one of them.",
    },
    CodeInfo {
        code: "strata::kafka::topic-name",
        summary: "a topic name is not one Kafka accepts",
        explanation: "Kafka topic names are 1 to 249 characters of ASCII letters, digits, `.`, `_` and `-`, \
            and not `.` or `..` (`org.apache.kafka.common.internals.Topic.validate`); the names of Kafka's \
            internal topics (`__consumer_offsets`, `__transaction_state`, ...) are taken. The Topic Operator \
            would pass Kafka's refusal on as a `KafkaError` in the KafkaTopic's status.\n\n\
            Fix: rename the topic (the help suggests a valid form).",
    },
    CodeInfo {
        code: "strata::kafka::partitions",
        summary: "a topic has zero partitions, or no partition count at all",
        explanation: "Every topic needs at least one partition, and strata asks for the count explicitly (or \
            from a preset) because it cannot be lowered later: Kafka can add partitions but never remove \
            them, and the Topic Operator refuses a decrease (`strata::diff::topic-partitions-decreased`). \
            Picking it deliberately matters, since it bounds a consumer group's parallelism.\n\n\
            Fix: add `partitions=N` (N ≥ 1), or use a preset that sets one.",
    },
    CodeInfo {
        code: "strata::kafka::replicas",
        summary: "a topic asks for zero replicas, or more replicas than its cluster has brokers",
        explanation: "Each replica of a partition lives on a different broker, so a topic cannot have more \
            replicas than the cluster has brokers: Kafka refuses it with `InvalidReplicationFactorException`, \
            which the Strimzi Topic Operator reports only in the KafkaTopic's status (`KafkaError`), after \
            `apply` succeeded. Zero replicas is never valid. The replicas may come from the topic or from its \
            preset; the label says which.\n\n\
            Fix: use at most as many replicas as the cluster's `brokers` (3 is the usual choice), or correct \
            `brokers` if the cluster has more.",
    },
    CodeInfo {
        code: "strata::kafka::min-insync-replicas",
        summary: "a topic's `min.insync.replicas` is above, or equal to, its replicas",
        explanation: "Producers with `acks=all` need `min.insync.replicas` replicas in sync to write. Above the \
            topic's replication factor, every such write fails with `NotEnoughReplicas` (an error); equal to \
            it, a single broker restart blocks those producers (a warning). The replicas may be the \
            default: the smaller of 3 and the cluster's brokers.\n\n\
            Fix: use at most one less than the replicas (2 for 3 replicas), or raise `replicas`.",
    },
    CodeInfo {
        code: "strata::kafka::duplicate-config",
        summary: "a topic config key is set twice in one topic or preset",
        explanation: "A KafkaTopic's `spec.config` is a map: two entries for one key would leave only one, \
            and which one depends on the order. strata refuses the repetition and labels both.\n\n\
            Fix: keep one of them. (A topic's own `config` overriding its preset's is fine.)",
    },
    CodeInfo {
        code: "strata::kafka::unknown-config",
        summary: "a topic config key is not a topic-level Kafka config",
        explanation: "strata knows every topic-level config of Kafka 4.x. An unknown key is refused by the broker \
            (`InvalidConfigurationException`, passed on by the Topic Operator as `KafkaError`). A common \
            mistake is a broker setting where the topic-level key differs (`log.retention.ms` instead of \
            `retention.ms`); the help names it.\n\n\
            Fix: use the topic-level key (the help suggests one).",
    },
    CodeInfo {
        code: "strata::kafka::config-removed",
        summary: "a topic config was removed in the cluster's Kafka version",
        explanation: "Some topic configs were removed in Kafka 4.0 (for example `message.format.version`), and a \
            broker of that version refuses them. strata checks against the cluster's `version`, or the newest \
            Kafka when none is given; the help says what replaces the key.\n\n\
            Fix: remove the entry, or follow the help's replacement.",
    },
    CodeInfo {
        code: "strata::kafka::config-version",
        summary: "a topic config is newer than the cluster's Kafka version",
        explanation: "The key exists only from a later Kafka version than the one the cluster's `version` says \
            its brokers run, and an older broker refuses it as unknown. The check also covers configs a topic \
            gets from its preset.\n\n\
            Fix: remove the entry, or upgrade the cluster and its `version`.",
    },
    CodeInfo {
        code: "strata::kafka::config-value",
        summary: "a topic config value is not one Kafka accepts for that key",
        explanation: "Each topic config has a type and bounds in Kafka's own config table (a duration, a size, \
            a ratio between 0 and 1, one of a list of words); strata checks the value against them, as the \
            broker would (`ConfigDef` validation, surfaced by the Topic Operator as `KafkaError`). Durations \
            and sizes may be written with units (`\"7d\"`, `\"1Gi\"`); strata converts them to Kafka's \
            milliseconds and bytes.\n\n\
            Fix: use a value within the bounds the label gives.",
    },
    CodeInfo {
        code: "strata::kafka::config-conflict",
        summary: "two topic configs contradict each other",
        explanation: "Some configs constrain each other, and Kafka refuses the topic when they disagree: \
            `min.compaction.lag.ms` above `max.compaction.lag.ms`; tiered storage (`remote.storage.enable`) \
            with a `cleanup.policy` other than `delete`; `local.retention.ms`/`local.retention.bytes` above \
            `retention.ms`/`retention.bytes`, since the local copy is part of the retained data (Kafka \
            `LogConfig` validation).\n\n\
            Fix: change one of the two labelled values.",
    },
    CodeInfo {
        code: "strata::kafka::tiered-storage",
        summary: "a topic enables tiered storage on a cluster that does not declare it",
        explanation: "`remote.storage.enable=true` needs brokers that run with tiered storage; otherwise Kafka \
            refuses the topic: \"Tiered Storage functionality is disabled in the broker. Topic cannot be \
            configured with remote log storage.\" (Kafka `LogConfig`, 4.1). Whether the brokers run it is \
            configured in the `Kafka` resource (`.spec.kafka.tieredStorage`), which strata does not read, so \
            the cluster declares it.\n\n\
            Fix: add `tiered-storage=#true` to the `kafka` node if its brokers run tiered storage, or drop \
            `remote.storage.enable`.",
    },
    CodeInfo {
        code: "strata::kafka::duplicate-topic",
        summary: "a topic is declared twice on one Kafka cluster",
        explanation: "A cluster has one topic per name, and the Topic Operator manages each Kafka topic through \
            exactly one KafkaTopic: a second one for the same topic gets `ResourceConflict` (\"Managed by \
            ...\", `BatchingTopicController`).\n\n\
            Fix: remove or rename one of the two.",
    },
    CodeInfo {
        code: "strata::kafka::topic-collision",
        summary: "two topics differ only in `.` and `_`",
        explanation: "Kafka maps `.` to `_` in metric names, so `orders.v1` and `orders_v1` would have the same \
            metrics; it refuses to create the second (`InvalidTopicException`, \"collides with existing \
            topics\").\n\n\
            Fix: rename one of them; pick one separator for the platform.",
    },
    CodeInfo {
        code: "strata::kafka::topic-object-clash",
        summary: "two topics on different clusters would be the same KafkaTopic object",
        explanation: "A KafkaTopic's object name is derived from the topic name, and lives in its cluster's \
            namespace. When two clusters share a namespace, two topics of the same name (or names that map \
            to the same object name) would be one object, and one cluster's topic would overwrite the \
            other's.\n\n\
            Fix: give each Kafka cluster its own namespace, or rename one of the topics.",
    },
    CodeInfo {
        code: "strata::kafka::topic-prefix",
        summary: "a topic does not start with its tenant's prefix, uses another tenant's, or a prefix is invalid",
        explanation: "A tenant's `topic-prefix` reserves a part of the topic namespace: its topics must start \
            with it, and no other tenant's topic may, because prefix ACLs (`analytics.*`) grant access by \
            prefix and would reach them. The prefix itself must be a possible start of a Kafka topic name \
            (letters, digits, `.`, `_`, `-`).\n\n\
            Fix: rename the topic as the help suggests, give it the right `tenant`, or correct the prefix.",
    },
    CodeInfo {
        code: "strata::kafka::topic-count-quota",
        summary: "a tenant's quota counts KafkaTopics in its namespace, where there are none",
        explanation: "strata puts a tenant's KafkaTopics in the Kafka cluster's namespace, the only one the Topic \
            Operator watches, not in the tenant's. A `count \"kafkatopics.kafka.strimzi.io\" N` in the tenant's \
            quota therefore always counts 0 and limits nothing.\n\n\
            Fix: remove the `count`; the number of a tenant's topics is visible in the spec.",
    },
    CodeInfo {
        code: "strata::kafka::user-name",
        summary: "a Kafka user name is not a valid Kubernetes name",
        explanation: "The user's name becomes the KafkaUser object and the Secret the User Operator writes its \
            credentials to, so it must be a DNS-1123 subdomain: lower-case letters, digits, `-` and `.`, at \
            most 253 characters.\n\n\
            Fix: rename the user (the help suggests a valid form).",
    },
    CodeInfo {
        code: "strata::kafka::tls-user-name",
        summary: "a TLS user's name is longer than 64 characters",
        explanation: "With `authentication=\"tls\"` (or `tls-external`) the user name is the common name of the \
            client certificate, and X.509 limits a CN to 64 characters; the User Operator refuses: \"Users \
            with TLS client authentication can have a username ... only up to 64 characters long.\" \
            (`KafkaUserModel`).\n\n\
            Fix: shorten the name.",
    },
    CodeInfo {
        code: "strata::kafka::duplicate-user",
        summary: "a Kafka user is declared twice in one cluster namespace",
        explanation: "KafkaUsers are objects in their cluster's namespace, and each writes a Secret of the same \
            name; two users of one name in one namespace would be the same object.\n\n\
            Fix: rename or merge one of them.",
    },
    CodeInfo {
        code: "strata::kafka::duplicate-quotas",
        summary: "a Kafka user has two `quotas` nodes",
        explanation: "A KafkaUser has one `spec.quotas`; two `quotas` nodes would overwrite each other.\n\n\
            Fix: put every quota (`producer-byte-rate`, `consumer-byte-rate`, `request-percentage`, \
            `controller-mutation-rate`) into one `quotas` node.",
    },
    CodeInfo {
        code: "strata::kafka::quota",
        summary: "a Kafka user quota value is not a rate",
        explanation: "`producer-byte-rate` and `consumer-byte-rate` are bytes per second (a number, or a size \
            such as `\"10Mi\"`); `controller-mutation-rate` is partitions created or deleted per second, a \
            non-negative number. Strimzi writes them into the user's Kafka client quotas.\n\n\
            Fix: write the rate as the help shows.",
    },
    CodeInfo {
        code: "strata::kafka::certificate-days",
        summary: "a user's certificate validity is inconsistent or not supported",
        explanation: "`validity-days`/`renewal-days` set how long a TLS user's certificate is valid and how long \
            before expiry it is renewed. They apply only to `authentication=\"tls\"`, go together, must be at \
            least 1, and renewal must be shorter than validity. Per-user validity came after Strimzi 0.51 \
            (strimzi-kafka-operator PR #12658): a cluster still on `api-version=\"v1beta2\"` lacks the fields, \
            and the API server would drop them without a word.\n\n\
            Fix: set both, consistently, on a TLS user of a v1 cluster, or neither to use the clients CA's \
            settings.",
    },
    CodeInfo {
        code: "strata::kafka::password-secret",
        summary: "a SCRAM password Secret is misused or misnamed",
        explanation: "`password-secret` names a Secret holding a custom SCRAM-SHA-512 password (the User \
            Operator otherwise generates one). It applies only to `authentication=\"scram-sha-512\"`, must be \
            a valid Secret name, and `password-key` without it names a key of no Secret. Strimzi refuses a \
            custom password without its Secret: \"Resource requests custom SCRAM-SHA-512 password but doesn't \
            specify the secret name and/or key\" (`KafkaUserModel`).\n\n\
            Fix: name an existing Secret in the cluster's namespace, or remove both to let the operator \
            generate the password.",
    },
    CodeInfo {
        code: "strata::kafka::acl-resource",
        summary: "an `acl` names no resource, or more than one",
        explanation: "Each `acl` rule covers exactly one resource: a `topic`, a `group`, a `transactional-id`, or \
            the cluster (`cluster=#true`). A rule with none has nothing to grant; a rule with two would need \
            two ACL entries.\n\n\
            Fix: write one `acl` per resource.",
    },
    CodeInfo {
        code: "strata::kafka::acl-operation",
        summary: "an ACL operation does not exist, or does not apply to the resource",
        explanation: "Kafka's ACL operations are `Read`, `Write`, `Create`, `Delete`, `Alter`, `Describe`, \
            `ClusterAction`, `DescribeConfigs`, `AlterConfigs`, `IdempotentWrite` and `All`, and each resource \
            type takes only some of them (a group takes `Read`, `Describe`, `Delete` and `All`). An operation a \
            resource does not take is never checked by Kafka there, so the rule would grant nothing.\n\n\
            Fix: use an operation the resource takes (the help lists them).",
    },
    CodeInfo {
        code: "strata::kafka::acl-host",
        summary: "an ACL has an empty `host`",
        explanation: "`host` restricts a rule to clients connecting from one address. An empty host matches no \
            client.\n\n\
            Fix: give an IP address, or remove `host` to allow every host (`*`).",
    },
    CodeInfo {
        code: "strata::kafka::acl-name",
        summary: "an ACL resource name is not a name, a prefix or `*`",
        explanation: "An ACL names a resource literally (`orders`), by prefix (`analytics.*`, a `PREFIXED` \
            pattern), or all of them (`*`). A `*` anywhere but at the end is not a pattern Kafka knows, and a \
            topic prefix with characters no topic name contains matches nothing.\n\n\
            Fix: write a name, a prefix ending in `*`, or `*` alone.",
    },
    CodeInfo {
        code: "strata::kafka::acl-unknown-topic",
        summary: "a user's ACL names a topic the cluster does not declare",
        explanation: "`produces`, `consumes` and `acl topic=...` with a literal name must name a topic declared on \
            the user's cluster. An ACL on a topic that does not exist is accepted by Kafka, but the client \
            fails when it uses it; it is almost always a typo.\n\n\
            Fix: correct the name (the help suggests the closest), declare the topic, or write a prefix \
            (`name*`) if every topic starting with it is meant.",
    },
    CodeInfo {
        code: "strata::kafka::acl-without-authorization",
        summary: "a user has ACLs on a cluster that enforces none",
        explanation: "ACLs are enforced only when the cluster runs an authorizer. On a cluster with \
            `authorization` none, or a custom authorizer that does not manage ACLs through the Admin API, \
            Strimzi leaves the KafkaUser NotReady: \"Simple authorization ACL rules are configured but not \
            supported in the Kafka cluster configuration.\" (`KafkaUserModel`, PR #6931).\n\n\
            Fix: set `authorization=\"simple\"` on the cluster (as its `Kafka` resource does), add \
            `supports-admin-api=#true` for a custom authorizer that supports it, or remove the ACLs.",
    },
    CodeInfo {
        code: "strata::kafka::client-egress",
        summary: "strata lets an isolated tenant reach its Kafka brokers (a note)",
        explanation: "A tenant with Kafka users on a cluster in another namespace needs to reach the brokers. For \
            an isolated tenant strata adds an egress rule to the cluster's namespace on the client ports to \
            its NetworkPolicy, and says so with this note (shown with `--explain`).\n\n\
            Fix: nothing to fix; to allow less (only the TLS port), write the rule yourself, e.g. `network \
            \"isolated\" { egress 9093 namespace=\"kafka\" }`.",
    },
    // Spark (the Spark operator).
    CodeInfo {
        code: "strata::spark::missing",
        summary: "a spark-job lacks its image or its main file",
        explanation: "A SparkApplication needs the image its driver and executors run and the program to start \
            (`mainApplicationFile`); the operator cannot submit a job without either. strata asks for both \
            in the job's block.\n\n\
            Fix: add `image \"apache/spark:3.5.1\" spark-version=\"3.5.1\"` and `main \"local:///opt/app.jar\" \
            class=\"...\"` (or a `.py` file).",
    },
    CodeInfo {
        code: "strata::spark::unknown-tenant",
        summary: "a spark-job names a tenant that is not declared",
        explanation: "`tenant=\"...\"` says whose namespace, quota and network rules the job runs under. The name \
            matches no tenant of the platform.\n\n\
            Fix: correct the name (the help suggests the closest), or declare the tenant.",
    },
    CodeInfo {
        code: "strata::spark::duplicate",
        summary: "two Spark jobs of one tenant have the same name",
        explanation: "A tenant's Spark jobs share its namespace: two jobs of one name would be the same \
            SparkApplication, or a batch and a scheduled job would share driver pod and UI service names.\n\n\
            Fix: rename one of them.",
    },
    CodeInfo {
        code: "strata::spark::name",
        summary: "a spark-job name is not a DNS-1035 label, or a scheduled job's name is too long for its runs",
        explanation: "The operator's webhook requires SparkApplication and ScheduledSparkApplication names to be \
            DNS-1035 labels: lower-case letters, digits and `-`, starting with a letter, at most 63 characters \
            (`sparkapplication_validator.go` `validateName`). Each run of a scheduled job is a \
            SparkApplication named `<name>-<19-digit timestamp>`, so a scheduled job's name may have at most \
            43 characters; a longer one makes every run fail to start (kubeflow/spark-operator#1549).\n\n\
            Fix: rename the job as the help suggests.",
    },
    CodeInfo {
        code: "strata::spark::image",
        summary: "a spark-job's image is empty",
        explanation: "The image runs the driver and every executor; an empty reference cannot be pulled.\n\n\
            Fix: name the image with its tag, e.g. `image \"apache/spark:3.5.1\"`.",
    },
    CodeInfo {
        code: "strata::spark::image-tag",
        summary: "a spark-job's image has no tag, or the `latest` tag",
        explanation: "An image without a tag is pulled as `latest`, and `latest` moves: tomorrow's run, or an \
            executor restarted in the middle of a job, may run different code from the driver. A digest \
            (`@sha256:...`) pins the image whatever its tag says. A warning, since the job works.\n\n\
            Fix: pin a version tag or a digest.",
    },
    CodeInfo {
        code: "strata::spark::version",
        summary: "a spark-job's `spark-version` is not a version",
        explanation: "`spark-version` becomes the SparkApplication's `sparkVersion`, which the operator uses to \
            pick version-dependent behaviour; it must be the Spark version the image contains, as \
            `major.minor[.patch]`.\n\n\
            Fix: write it like `spark-version=\"3.5.1\"`.",
    },
    CodeInfo {
        code: "strata::spark::main-file",
        summary: "a spark-job's main file has no URI scheme",
        explanation: "`mainApplicationFile` is handed to spark-submit, which reads a path without a scheme as a \
            local file of the submitting pod (the operator's) and tries to upload it. A file inside the image \
            is `local:///...`; anything else is a remote URI.\n\n\
            Fix: write `local:///opt/app/job.jar` for a file in the image, or `s3a://`, `gs://`, `https://`, \
            `hdfs://` for a remote one.",
    },
    CodeInfo {
        code: "strata::spark::main-class",
        summary: "a JVM job names no main class, or a Python or R job names one",
        explanation: "Scala and Java jobs start at a class (`mainClass`), which spark-submit needs; Python and R \
            jobs start at their file and have no class. The job's type is set with `type=` or inferred from \
            the main file's extension (`.py`, `.R`, else JVM); the label says which.\n\n\
            Fix: add `class=\"com.acme.Main\"` to `main` for a JVM job, or remove it for Python and R.",
    },
    CodeInfo {
        code: "strata::spark::conf-denied",
        summary: "a sparkConf key the Spark operator's webhook refuses",
        explanation: "The operator's webhook denies applications that set the master, container images, \
            service accounts or OAuth tokens through `sparkConf` (`sparkconf_validator.go` \
            `deniedSparkConfKeys`): \"sparkConf key ... is not allowed\". strata sets these itself from the \
            job's fields and the tenant's `spark-driver` ServiceAccount.\n\n\
            Fix: remove the key; the help names the strata setting that replaces it.",
    },
    CodeInfo {
        code: "strata::spark::conf-owned",
        summary: "a sparkConf key strata sets from the job's own fields",
        explanation: "Cores, memory, overhead, executor counts, dynamic allocation and pod templates are written \
            by strata from `driver`, `executors` and `memory-overhead-factor`, and the quota arithmetic is done \
            with those values. The same setting in `conf` would override, or be overridden by, the value \
            strata emits, and the pods would no longer be the size quota fit checked.\n\n\
            Fix: use the strata field the help names instead of the key.",
    },
    CodeInfo {
        code: "strata::spark::conf-namespace",
        summary: "`spark.kubernetes.namespace` differs from the job's namespace",
        explanation: "The operator's webhook requires `spark.kubernetes.namespace`, if set, to equal the \
            SparkApplication's namespace (`sparkconf_validator.go`), which is the tenant's.\n\n\
            Fix: remove the key; the operator sets it to the tenant's namespace.",
    },
    CodeInfo {
        code: "strata::spark::conf-value",
        summary: "a sparkConf value strata reads for sizing does not parse",
        explanation: "Some conf keys change the size of the pods and strata reads them for quota fit: the \
            memory overhead factor (a non-negative number), `spark.executor.pyspark.memory` and \
            `spark.memory.offHeap.size` (sizes in Spark's format, whole MiB, which add to every executor pod's \
            memory). A value strata cannot read would make its arithmetic wrong.\n\n\
            Fix: write a number (`0.2`) or a size in Spark's format (`\"512m\"`, `\"2g\"`).",
    },
    CodeInfo {
        code: "strata::spark::duplicate-conf",
        summary: "a `conf` or `hadoop-conf` key is given twice",
        explanation: "`sparkConf` and `hadoopConf` are maps: Spark keeps one value per key, and which of two \
            would survive depends on the order.\n\n\
            Fix: remove one of them.",
    },
    CodeInfo {
        code: "strata::spark::literal-secret",
        summary: "a Spark job writes a credential into the spec",
        explanation: "A `conf`, `hadoop-conf` or `env` value under a key that holds a secret \
            (`spark.hadoop.fs.s3a.secret.key`, `fs.azure.account.key.*`, `*.password`, `*.token`, SAS \
            signatures), or a URI with `user:password@` in `main` or `deps`, would be written into the \
            SparkApplication, and so into Git and `kubectl get -o yaml` for anyone who can read it. S3A's \
            `fs.s3a.access.key` is the key's id and is not reported.\n\n\
            Fix: keep the secret in a Secret and pass it as `env \"NAME\" secret=\"...\" key=\"...\"`, read by \
            the client library (e.g. AWS_SECRET_ACCESS_KEY).",
    },
    CodeInfo {
        code: "strata::spark::security",
        summary: "`run-as-user` together with `security \"none\"`",
        explanation: "`security \"restricted\"` (the default) gives driver and executor pods a restricted \
            security context with `runAsNonRoot` and the uid `run-as-user` (185, the Spark image's user, by \
            default). `security \"none\"` opts out of that context altogether, so a `run-as-user` there would \
            be ignored.\n\n\
            Fix: remove `run-as-user`, or use `security \"restricted\" run-as-user=...`.",
    },
    CodeInfo {
        code: "strata::spark::run-as-user",
        summary: "restricted Spark pods set to run as root",
        explanation: "Restricted pods carry `runAsNonRoot: true`, and the kubelet refuses to start a container \
            with uid 0 under it (Pod Security Standards, \"Running as Non-root\"), so the driver would never \
            start.\n\n\
            Fix: give a non-zero uid (the Spark image's user is 185), or remove `run-as-user`.",
    },
    CodeInfo {
        code: "strata::spark::pod-security",
        summary: "a Spark job's pods break the Pod Security level its tenant enforces",
        explanation: "Each tenant namespace enforces a Pod Security level. Pod Security admission refuses every \
            driver pod of a job that opts out of the restricted security context (`security \"none\"`) in a \
            `restricted` tenant, or that sets an AppArmor profile other than `runtime/default` or \
            `localhost/<profile>` through a `spark.kubernetes.*.annotation.container.apparmor...` conf key \
            in a `baseline` or `restricted` tenant (pod-security-admission `check_appArmorProfile.go`).\n\n\
            Fix: keep the restricted context and the default AppArmor profile, or move the job to a tenant \
            whose `pod-security` allows it.",
    },
    CodeInfo {
        code: "strata::spark::host-path",
        summary: "a Spark job mounts a hostPath volume outside a privileged tenant",
        explanation: "`spark.kubernetes.{driver,executor}.volumes.hostPath.*` mounts a directory of the node \
            into the pod. Pod Security `baseline` and `restricted` forbid hostPath volumes (\"HostPath \
            Volumes\", pod-security-admission `check_hostPathVolumes.go`), so admission would refuse every \
            such pod; a node's file system is not a tenant's to share.\n\n\
            Fix: use a PersistentVolumeClaim (`spark.kubernetes.driver.volumes.persistentVolumeClaim.*`), or \
            run the job in a tenant with `pod-security=\"privileged\"`.",
    },
    CodeInfo {
        code: "strata::spark::default-driver",
        summary: "a spark-job's driver uses the default size (a note)",
        explanation: "A job without a `driver` node gets a driver of size `s` (its CPU and memory are in the \
            note), and quota fit counts it at that size. Shown with \
            `--explain`.\n\n\
            Fix: nothing to fix; size the driver yourself with `driver size=\"...\"` or `driver cores=... \
            memory=...`.",
    },
    CodeInfo {
        code: "strata::spark::unknown-size",
        summary: "a Spark driver or executors name a size that is not defined",
        explanation: "`size=\"...\"` on `driver` or `executors` must name a size of the standard library \
            (`strata stdlib sizes`: `xs`, `s`, `m`, `l`, `xl`, ...) or one the platform defines. Spelt-out \
            names such as `small` or `large` are suggested their short form.\n\n\
            Fix: correct the name, or define it with `size \"<name>\" cpu=... memory=...`.",
    },
    CodeInfo {
        code: "strata::spark::sizing",
        summary: "a Spark driver or executors have neither a size nor both cores and memory",
        explanation: "strata must know each pod's CPU and memory to write `cores`/`memory` into the \
            SparkApplication and to check quota fit. A role gets them from a `size`, or from both `cores` \
            (or `core-request`) and `memory`.\n\n\
            Fix: add `size=\"m\"`, or e.g. `executors 4 cores=2 memory=\"8g\"`.",
    },
    CodeInfo {
        code: "strata::spark::cores",
        summary: "Spark cores are not a whole number, or exceed the core limit",
        explanation: "Spark counts `cores` as task slots, and the SparkApplication schema takes a whole number of \
            at least 1; a fraction of a CPU is asked for with `core-request` (`coreRequest`) instead. The CPU \
            request, `core-request` or else `cores`, may not exceed `core-limit`: Kubernetes refuses a \
            container whose request is above its limit.\n\n\
            Fix: keep `cores` whole (`cores=1 core-request=\"500m\"` for half a CPU), and the request within \
            the limit.",
    },
    CodeInfo {
        code: "strata::spark::memory",
        summary: "Spark memory or overhead is not a whole number of MiB",
        explanation: "Spark reads driver and executor memory and `memoryOverhead` in MiB, and strata writes \
            them in Spark's format; a value that is not whole MiB (or a size preset whose memory is not) \
            would be rounded by Spark, and the pod would differ from the one quota fit counted.\n\n\
            Fix: write memory in `m`/`g` or `Mi`/`Gi`, e.g. `memory=\"8g\"`.",
    },
    CodeInfo {
        code: "strata::spark::executors",
        summary: "a Spark job's executor count is missing, contradictory or out of range",
        explanation: "Executors are either a fixed count (`executors 10`, `executor.instances` ≥ 1 in the schema) \
            or dynamic allocation (`executors min=2 max=10`), never both. Dynamic allocation needs `max`: \
            without it a job may claim the tenant's whole quota and strata cannot check that it fits; \
            `min` ≤ `initial` ≤ `max`, and `max` at least 1. Counts are 32-bit in the SparkApplication.\n\n\
            Fix: write one form, with consistent bounds.",
    },
    CodeInfo {
        code: "strata::spark::shuffle-tracking",
        summary: "dynamic allocation without a way to keep shuffle data, or with two",
        explanation: "Kubernetes has no external shuffle service, so a dynamically allocated job may only remove \
            executors if something keeps their shuffle files. Spark's driver refuses to start otherwise \
            (`ExecutorAllocationManager.validateSettings`: \"Dynamic allocation of executors requires one of the \
            following conditions\": an external shuffle service, shuffle tracking, shuffle block migration on \
            decommission, or a ShuffleDataIO plugin with reliable storage). strata writes \
            `.spec.dynamicAllocation.shuffleTrackingEnabled: true` (Spark 3.0+, SPARK-27963; Spark's default since \
            3.4, SPARK-39846), or `false` when the job's `conf \"spark.dynamicAllocation.shuffleTracking.enabled\" \
            \"false\"` says so: the kubeflow operator passes the field after sparkConf, so without it the operator's \
            default `true` would silently win (kubeflow/spark-operator `submission.go` `dynamicAllocationOption`, \
            v2.5.2).\n\n\
            An error when the job turns shuffle tracking off and none of the alternatives is configured \
            (`spark.shuffle.service.enabled`, `spark.decommission.enabled` with \
            `spark.storage.decommission.shuffleBlocks.enabled`, a `spark.shuffle.sort.io.plugin.class` other than \
            the local-disk ones). A warning when an alternative is configured and shuffle tracking stays on: Spark \
            then keeps idle executors (\"You are enabling both shuffle tracking and other DA supported mechanism\"; \
            apache/celeborn#2270, apache/uniffle#1490).\n\n\
            Fix: remove the `conf` that turns it off, or configure the alternative; with a remote shuffle service, \
            turn shuffle tracking off.",
    },
    CodeInfo {
        code: "strata::spark::dynamic-allocation-version",
        summary: "dynamic allocation on a Spark version without shuffle tracking",
        explanation: "Before Spark 3.0 dynamic allocation needed the external shuffle service, which Kubernetes does not \
            have; shuffle tracking (SPARK-27963) made it possible on Kubernetes in 3.0.\n\n\
            Fix: use a fixed executor count, or upgrade the job to Spark 3.x or 4.x.",
    },
    CodeInfo {
        code: "strata::spark::restart",
        summary: "restart retries on a policy other than `OnFailure`",
        explanation: "The SparkApplication's `restartPolicy` retries only with type `OnFailure` \
            (`onFailureRetries`, `onSubmissionFailureRetries`); with `Never` or `Always` the operator ignores \
            retry counts, so the setting would do nothing.\n\n\
            Fix: use `restart \"OnFailure\" retries=...`, or remove the retries.",
    },
    CodeInfo {
        code: "strata::spark::duration",
        summary: "a Spark duration is not a whole number of seconds",
        explanation: "`ttl`, `retry-interval` and `submission-retry-interval` are stored by the operator in whole \
            seconds (`timeToLiveSeconds`, `onFailureRetryInterval`, ...), so a value below 1s or with a \
            fraction of a second cannot be written.\n\n\
            Fix: write whole seconds, e.g. `\"30s\"`, `\"5m\"` or `\"1d\"`.",
    },
    CodeInfo {
        code: "strata::spark::cron",
        summary: "a scheduled Spark job's schedule does not parse",
        explanation: "The operator hands `.spec.schedule` to robfig/cron's `ParseStandard`: five fields (minute, \
            hour, day of month, month, day of week) with their ranges and names, or a descriptor such as \
            `@daily`. A schedule it rejects shows up only later, as state `FailedValidation` in the \
            ScheduledSparkApplication's status. The label points at the offending field.\n\n\
            Fix: correct the field, e.g. `schedule \"0 2 * * *\"` for 02:00 every day.",
    },
    CodeInfo {
        code: "strata::spark::timezone",
        summary: "a scheduled Spark job's time zone is not an IANA zone",
        explanation: "`.spec.timeZone` is loaded with Go's `time.LoadLocation`, which knows IANA names (`UTC`, \
            `Europe/Berlin`); an unknown name marks the schedule `FailedValidation`. Abbreviations such as \
            `CET` or `PST` are not zone names.\n\n\
            Fix: use the IANA name (the help suggests one).",
    },
    CodeInfo {
        code: "strata::spark::toleration",
        summary: "a Spark job's toleration is not one Kubernetes accepts",
        explanation: "A toleration's `operator` is `Equal` or `Exists`, its `effect` `NoSchedule`, \
            `PreferNoSchedule` or `NoExecute`; `Exists` takes no value, a toleration without a key must use \
            `Exists`, and `seconds` (`tolerationSeconds`) applies only to `NoExecute`; the key must be a valid \
            label name and the value a valid label value (`ValidateTolerations` in Kubernetes' \
            pkg/apis/core/validation). The API server refuses pods that break these rules, so the driver would \
            never be created.\n\n\
            Fix: correct the toleration as the help says.",
    },
    CodeInfo {
        code: "strata::spark::out-of-range",
        summary: "a Spark job's count is larger than the operator's CRD field can hold",
        explanation: "The Spark operator's CRD declares `onFailureRetries`, `onSubmissionFailureRetries`, \
            `successfulRunHistoryLimit` and `failedRunHistoryLimit` as `int32` (kubeflow spark-operator v2.5.2 \
            `api/v1beta2`). A larger number is refused by the API server's schema validation, and strata will \
            not write a different number than the one in the spec.\n\n\
            Fix: use a value up to 2147483647 (a retry count or history limit that large is almost certainly a \
            typo).",
    },
    CodeInfo {
        code: "strata::spark::node-selector",
        summary: "a Spark job's node selector is not a valid label key or value",
        explanation: "A pod's `nodeSelector` is a label selector: Kubernetes validates it with `ValidateLabels` \
            (pkg/apis/core/validation, `ValidatePodSpec`), so each key must be `[prefix/]name` (a DNS subdomain \
            prefix, a name of at most 63 letters, digits, `-`, `_` and `.`, starting and ending alphanumeric) \
            and each value at most 63 such characters. The SparkApplication itself is accepted, but the API \
            server refuses the driver pod when the operator creates it, so the job never starts.\n\n\
            Fix: use the node label exactly as the nodes carry it (`kubectl get nodes --show-labels`), e.g. \
            `node-selector \"node.acme.io/pool\" \"batch\"`.",
    },
    CodeInfo {
        code: "strata::spark::apiserver-egress",
        summary: "an isolated tenant runs Spark but its network policy blocks the Kubernetes API",
        explanation: "A Spark driver creates its executors through the Kubernetes API \
            (`KubernetesClusterSchedulerBackend`). An isolated tenant allows egress only to DNS, its own \
            namespace and declared peers, and the API server is not a pod, so only an address-based rule \
            (`cidr`) on port 443 or 6443 lets the driver out; without one it hangs at startup. A warning, \
            since the API server's addresses are cluster state strata cannot see.\n\n\
            Fix: allow the API server's addresses in the tenant's `network` block, e.g. `egress 443 \
            cidr=\"10.0.0.0/16\"`.",
    },
    // Airflow (KubernetesExecutor).
    CodeInfo {
        code: "strata::airflow::executor",
        summary: "an airflow deployment has no `executor`",
        explanation: "strata configures Airflow's KubernetesExecutor: the worker pod templates, the executor's \
            settings and the RBAC the scheduler needs to start task pods. An `airflow` node without its \
            `executor` block has nothing to emit.\n\n\
            Fix: add `executor \"kubernetes\" image=\"apache/airflow:3.1.3\" { worker-template \"default\" \
            size=\"m\" }`.",
    },
    CodeInfo {
        code: "strata::airflow::unknown-tenant",
        summary: "an airflow deployment, or its `multi-namespace` list, names a tenant that is not declared",
        explanation: "An airflow runs its task pods in its tenant's namespace, and `multi-namespace` lists the \
            other tenants whose namespaces the executor may use. Each name must be a tenant of the platform; \
            a common mistake is writing a tenant's namespace instead of its name, which the help points \
            out.\n\n\
            Fix: correct the name, or declare the tenant.",
    },
    CodeInfo {
        code: "strata::airflow::duplicate",
        summary: "two airflow deployments of one tenant have the same name",
        explanation: "A tenant's airflow deployments share its namespace, and their ConfigMaps, ServiceAccounts \
            and Roles are named after the deployment: two of one name would be the same objects.\n\n\
            Fix: give each its own name.",
    },
    CodeInfo {
        code: "strata::airflow::name",
        summary: "an airflow name is not a valid Kubernetes name",
        explanation: "The deployment's name becomes part of its objects' names (the pod-templates ConfigMap, the \
            pod-launcher Role) and a label value, so it must be a DNS-1123 label: lower-case letters, digits \
            and `-`, at most 63 characters.\n\n\
            Fix: rename it (the help suggests a valid form).",
    },
    CodeInfo {
        code: "strata::airflow::run-as-user",
        summary: "Airflow worker pods set to run as root",
        explanation: "Worker pods get a restricted security context with `runAsNonRoot: true`, and the kubelet \
            refuses to start a container with uid 0 under it, so every task would fail to start. The \
            official image runs as uid 50000.\n\n\
            Fix: remove `run-as-user`, or give a non-zero uid.",
    },
    CodeInfo {
        code: "strata::airflow::image",
        summary: "an Airflow worker image is empty, malformed, or missing",
        explanation: "The executor's pod template must have a first container named `base` with an image \
            (Airflow `pod_generator.py`, `kubernetes_executor.rst` \"Base image\"). The image comes from the \
            template or, for every template, from `executor`; a template with neither, an empty image, or a \
            reference that cannot be pulled (spaces, an upper-case repository, an empty tag) is refused.\n\n\
            Fix: set `image=\"apache/airflow:3.1.3\"` on `executor` or on the template.",
    },
    CodeInfo {
        code: "strata::airflow::image-tag",
        summary: "an Airflow worker image has no tag, or the `latest` tag",
        explanation: "An image without a tag is pulled as `latest`, and `latest` moves: task pods started an hour \
            apart may run different Airflow and DAG code. A digest (`@sha256:...`) pins the image whatever its \
            tag says. A warning, since it works.\n\n\
            Fix: pin a version tag or a digest.",
    },
    CodeInfo {
        code: "strata::airflow::env-name",
        summary: "an Airflow worker environment variable has an invalid name",
        explanation: "Kubernetes accepts environment variable names of letters, digits, `_`, `-` and `.` that do \
            not start with a digit, and refuses a pod with any other; an empty name is never valid.\n\n\
            Fix: use a name such as `LOG_LEVEL`.",
    },
    CodeInfo {
        code: "strata::airflow::env-owned",
        summary: "an Airflow worker variable strata already sets",
        explanation: "strata sets `AIRFLOW__CORE__EXECUTOR` in worker pods (to `LocalExecutor`, as the Airflow \
            chart does), the executor sets `AIRFLOW_IS_K8S_EXECUTOR_POD` on every task pod, and `metadata-db` \
            and `fernet-key` set `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN` and `AIRFLOW__CORE__FERNET_KEY`. A second \
            value would conflict with the one strata writes.\n\n\
            Fix: remove the `env`.",
    },
    CodeInfo {
        code: "strata::airflow::literal-secret",
        summary: "an Airflow deployment writes a secret into the spec",
        explanation: "`metadata-db` and `fernet-key` name a Secret key and never take the value itself; an `env` \
            whose name says it holds a secret (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `SQL_ALCHEMY_CONN`) or \
            whose value is a URL with a password must not carry it in plain text. Spec values end up in the \
            pod-templates ConfigMap, in Git and in `kubectl get -o yaml`.\n\n\
            Fix: store the value in a Secret and reference it: `metadata-db secret=\"...\" key=\"...\"`, \
            `env \"NAME\" secret=\"...\" key=\"...\"`.",
    },
    CodeInfo {
        code: "strata::airflow::max-parallel-tasks",
        summary: "`max-parallel-tasks=0`, which Airflow reads as no limit",
        explanation: "`max-parallel-tasks` becomes `[core] parallelism`, and Airflow treats 0 as unlimited \
            (`base_executor.py`), so any number of task pods could run at once; quota fit counts the workers \
            as this many pods, and 0 would count none.\n\n\
            Fix: give the most task pods that may run at once, e.g. `max-parallel-tasks=16`.",
    },
    CodeInfo {
        code: "strata::airflow::batch-size",
        summary: "`batch-size=0`, with which the executor never creates a task pod",
        explanation: "`batch-size` becomes `worker_pods_creation_batch_size`, the pods the executor creates per \
            scheduler loop (`kubernetes_executor.py`); with 0 it creates none and every task stays queued.\n\n\
            Fix: use at least 1 (Airflow's default); larger batches start queued tasks faster.",
    },
    CodeInfo {
        code: "strata::airflow::publish-retries",
        summary: "quota refusals fail Airflow tasks at once, or `publish-retries` is not a count",
        explanation: "A namespace with a ResourceQuota refuses pods over it with 403 \"exceeded quota\", and the \
            executor retries such a pod only `task_publish_max_retries` times (`kubernetes_executor_utils.py`); \
            Airflow's default, 0, fails the task at once. In a tenant with a quota strata therefore sets -1 \
            (retry until there is room), and says so in a note; `publish-retries=0` there is an error, and \
            values below -1 are not counts.\n\n\
            Fix: leave `publish-retries` out in a tenant with a quota, or set -1 or a positive count.",
    },
    CodeInfo {
        code: "strata::airflow::no-templates",
        summary: "an airflow executor has no worker template",
        explanation: "The KubernetesExecutor starts each task from a pod template (`pod_template_file`); without \
            one it has nothing to start tasks with.\n\n\
            Fix: add one inside `executor`: `worker-template \"default\" size=\"m\"`.",
    },
    CodeInfo {
        code: "strata::airflow::duplicate-template",
        summary: "two worker templates of one executor have the same name",
        explanation: "Each worker template is a file of the pod-templates ConfigMap, named after the template, \
            and tasks choose a template by that name; two of one name would be one file.\n\n\
            Fix: give each template its own name.",
    },
    CodeInfo {
        code: "strata::airflow::template-name",
        summary: "a worker template name is not a valid Kubernetes name",
        explanation: "A template's name becomes its file in the pod-templates ConfigMap and a label of its pods, \
            so it must be a DNS-1123 label: lower-case letters, digits and `-`, at most 63 characters.\n\n\
            Fix: rename the template.",
    },
    CodeInfo {
        code: "strata::airflow::unknown-template",
        summary: "`default-template` names a worker template that does not exist",
        explanation: "`default-template=\"...\"` on `executor` picks the template `pod_template_file` points at. \
            It must name one of the executor's `worker-template`s.\n\n\
            Fix: correct the name (the help suggests the closest), or define the template.",
    },
    CodeInfo {
        code: "strata::airflow::default-template",
        summary: "several worker templates and none is the default",
        explanation: "`pod_template_file` points at one template, which every task uses unless it chooses \
            another through `executor_config`. With one template that one is the default; with several, one \
            must be named `default` or chosen with `default-template`.\n\n\
            Fix: name one template `default`, or add `default-template=\"<name>\"` to `executor`.",
    },
    CodeInfo {
        code: "strata::airflow::unknown-size",
        summary: "a worker template names a size that is not defined",
        explanation: "`size=\"...\"` on a worker template must name a size of the standard library (`strata stdlib \
            sizes`) or one the platform defines; it sets the `base` container's requests and limits, which \
            quota fit counts.\n\n\
            Fix: correct the name (the help suggests the closest), or define the size.",
    },
    CodeInfo {
        code: "strata::airflow::gpu",
        summary: "a worker template asks for zero GPUs",
        explanation: "`gpu=N` adds `nvidia.com/gpu: N` to the `base` container's requests and limits. Zero requests no GPU and \
            is always a leftover.\n\n\
            Fix: remove `gpu`, or give the number of GPUs each task pod needs.",
    },
    CodeInfo {
        code: "strata::airflow::namespace-mismatch",
        summary: "a worker template names a namespace the executor does not start pods in",
        explanation: "The executor starts task pods in `[kubernetes_executor] namespace`, the tenant's, and that \
            setting wins over the template's own namespace (`pod_generator.py` `construct_pod`, \
            apache/airflow#29365). A template naming another namespace is silently ignored.\n\n\
            Fix: remove the template's `namespace`; to run tasks in another tenant's namespace use \
            `multi-namespace` and a pod_override.",
    },
    CodeInfo {
        code: "strata::airflow::multi-namespace",
        summary: "a `multi-namespace` list is empty, repeats a tenant, contradicts `cluster-wide`, or names the home tenant",
        explanation: "`multi-namespace` lets the executor start and watch task pods in other tenants' namespaces: \
            either listed tenants (a Role in each) or every namespace (`cluster-wide=#true`, a ClusterRole; \
            Airflow needs cluster-wide list and watch then, apache/airflow#28047). It needs one of the two, \
            not both; each tenant is listed once; the airflow's own tenant is always included (a warning \
            when listed).\n\n\
            Fix: list the tenants, `multi-namespace \"payments\" \"sandbox\"`, or use `cluster-wide=#true` \
            alone.",
    },
    CodeInfo {
        code: "strata::airflow::multi-namespace-network",
        summary: "task pods in another tenant's namespace cannot reach the Airflow deployment",
        explanation: "Task pods started in a listed tenant's namespace still talk to the Airflow deployment at \
            home: the API server in Airflow 3, the metadata database in Airflow 2. When either tenant is \
            isolated, their NetworkPolicies block that unless the listed tenant allows egress to the home \
            namespace and the home tenant ingress from it, and the tasks fail at run time.\n\n\
            Fix: add the rules the help names to the two tenants' `network` blocks.",
    },
    CodeInfo {
        code: "strata::airflow::cluster-wide-grant",
        summary: "an Airflow scheduler may create pods in every namespace of the cluster",
        explanation: "`multi-namespace cluster-wide=#true` binds the scheduler to a ClusterRole: it may create and \
            delete pods in every namespace, `kube-system` included, and with `pod-operator=#true` task pods \
            may also exec into pods anywhere (the chart's pod-launcher rules bound cluster-wide). A warning, \
            since it can be intended, but rarely is.\n\n\
            Fix: list the tenants whose namespaces the executor uses instead: `multi-namespace \"payments\" \
            \"sandbox\"` grants a Role in each and nothing cluster-wide.",
    },
    // Flink (the Flink Kubernetes operator).
    CodeInfo {
        code: "strata::flink::unknown-tenant",
        summary: "a flink-job names a tenant that is not declared",
        explanation: "`tenant=\"...\"` says whose namespace, quota and network rules the job runs under. The name \
            matches no tenant of the platform (writing a tenant's namespace instead of its name is a common \
            slip; the help says so).\n\n\
            Fix: correct the name, or declare the tenant.",
    },
    CodeInfo {
        code: "strata::flink::duplicate",
        summary: "two Flink jobs of one tenant have the same name",
        explanation: "A tenant's Flink jobs share its namespace, and the name is the FlinkDeployment's, its \
            cluster id and its Services' names: two jobs of one name would be one deployment.\n\n\
            Fix: give each its own name.",
    },
    CodeInfo {
        code: "strata::flink::name",
        summary: "a flink-job name does not match the Flink operator's name pattern",
        explanation: "The operator requires FlinkDeployment names to match `[a-z]([-a-z0-9]{0,43}[a-z0-9])?`: \
            lower-case letters, digits and `-`, starting with a letter, at most 45 characters \
            (`DefaultValidator.validateDeploymentName`), because the name becomes the cluster id and the \
            names of its Services (FLINK-28087). Otherwise it reports \"The FlinkDeployment name: ... is \
            invalid\" in the status and deploys nothing.\n\n\
            Fix: rename the job (the help suggests a valid form).",
    },
    CodeInfo {
        code: "strata::flink::image",
        summary: "a flink-job has no image, an empty one, or one that cannot be pulled",
        explanation: "Every JobManager and TaskManager pod runs the job's image. A job needs one, and a reference \
            with spaces, an upper-case repository or an empty tag cannot be pulled.\n\n\
            Fix: add `image \"registry.acme.io/my-job:1.0.0\"`.",
    },
    CodeInfo {
        code: "strata::flink::image-tag",
        summary: "a flink-job's image has no tag, or the `latest` tag",
        explanation: "An image without a tag is pulled as `latest`, and `latest` moves: a TaskManager restarted \
            after a failover may run different code from the JobManager. A digest (`@sha256:...`) pins the \
            image. A warning, since it works.\n\n\
            Fix: pin a version tag or a digest.",
    },
    CodeInfo {
        code: "strata::flink::jar",
        summary: "a flink-job has no jar, or its URI is empty",
        explanation: "An application cluster runs the jar named in `spec.job.jarURI`; without it the operator has \
            no job to start.\n\n\
            Fix: add `jar \"local:///opt/flink/usrlib/job.jar\" version=\"1.20\"` (`local://` for a jar inside \
            the image).",
    },
    CodeInfo {
        code: "strata::flink::version",
        summary: "a Flink version the operator does not run, or not a version at all",
        explanation: "`version` on `jar` becomes `spec.flinkVersion`. The operator 1.15's CRD accepts v1_13 to \
            v1_20 and v2_0 to v2_2, but the operator itself runs only 1.15 and newer: \"Flink version v1_14 is \
            not supported by this operator version\" (`DefaultValidator.validateFlinkVersion`, \
            `FlinkVersion.isSupported`), and the deployment stays unreconciled.\n\n\
            Fix: use a supported version, written `1.20` or `v1_20`.",
    },
    CodeInfo {
        code: "strata::flink::run-as-user",
        summary: "Flink pods set to run as root",
        explanation: "Flink pods get a restricted security context with `runAsNonRoot: true`, and the kubelet \
            refuses to start a container with uid 0 under it. The official image's `flink` user is 9999.\n\n\
            Fix: remove `run-as-user`, or give a non-zero uid.",
    },
    CodeInfo {
        code: "strata::flink::parallelism",
        summary: "a Flink job's parallelism is zero, missing, or more than its task slots",
        explanation: "The operator needs a parallelism, or TaskManager replicas to derive one: \"Job parallelism \
            must be larger than 0\" (`DefaultValidator.validateJobSpec`). Without `taskmanager replicas` it \
            starts ceil(parallelism / slots) TaskManagers; with replicas set, the job runs on replicas × \
            slots slots, and a parallelism above that cannot be scheduled.\n\n\
            Fix: give `parallelism N`, and leave `replicas` out (or raise it, or `slots`) so the slots suffice.",
    },
    CodeInfo {
        code: "strata::flink::parallelism-ignored",
        summary: "a Flink job's parallelism is ignored because TaskManager replicas are set",
        explanation: "With `taskmanager replicas` set, the operator runs the job on every slot of those \
            TaskManagers and ignores `parallelism`: \"Job parallelism setting is ignored as TaskManager \
            replicas are set\". The job runs at a different parallelism than written.\n\n\
            Fix: remove `parallelism`, or remove `replicas` so the TaskManagers follow the parallelism.",
    },
    CodeInfo {
        code: "strata::flink::autoscale-version",
        summary: "the job autoscaler on a Flink version it does not run on",
        explanation: "The operator's job autoscaler applies its decisions as job vertex parallelism overrides \
            (`pipeline.jobvertex-parallelism-overrides`), which Flink 1.17 added; 1.15 and 1.16 need backported \
            patches (flink-kubernetes-operator `docs/content/docs/custom-resource/autoscaler.md`, \"Requirements\", \
            release-1.15.0). In-place rescaling needs Flink 1.18 and the adaptive scheduler.\n\n\
            Fix: run the job on Flink 1.17 or newer, or remove `autoscale`.",
    },
    CodeInfo {
        code: "strata::flink::autoscale-replicas",
        summary: "a fixed TaskManager count on an autoscaled Flink job",
        explanation: "With `taskmanager replicas` the job's parallelism is fixed at replicas × slots, while the \
            autoscaler sets each vertex's parallelism and so the TaskManagers it needs; quota fit could not count \
            the job's peak.\n\n\
            Fix: remove `replicas` and give the starting parallelism with `parallelism`.",
    },
    CodeInfo {
        code: "strata::flink::autoscale-limits",
        summary: "the autoscaler's parallelism bounds are contradictory or out of range",
        explanation: "`autoscale min`/`max` become `job.autoscaler.vertex.min-parallelism`/`max-parallelism`, \
            `max-parallelism` becomes `pipeline.max-parallelism` (1 to 32768 key groups, Flink's \
            `KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM`). The autoscaler requires min ≤ max \
            (JobVertexScaler); Flink refuses a parallelism above the max parallelism. A `max` above the max \
            parallelism is a warning: \"this limit will be ignored if it is higher than the max parallelism\" \
            (AutoScalerOptions `vertex.max-parallelism`).\n\n\
            Fix: keep 1 ≤ min ≤ parallelism ≤ max-parallelism, and max ≤ max-parallelism.",
    },
    CodeInfo {
        code: "strata::flink::autoscale-utilization",
        summary: "an autoscaler utilization the operator refuses",
        explanation: "The operator's AutoscalerValidator refuses `job.autoscaler.utilization.target` outside [0, 1], \
            `utilization.max` outside [target, 1] and `utilization.min` outside [0, target] (\"The AutoScalerOption … \
            is invalid, it should be a value within the range …\", flink-autoscaler `AutoscalerValidator`, \
            release-1.15.0); the FlinkDeployment is not deployed. A target of 0 would ask for unbounded \
            parallelism.\n\n\
            Fix: use fractions of busy time, e.g. `target-utilization=0.7` with `utilization min=0.5 max=0.9`.",
    },
    CodeInfo {
        code: "strata::flink::autoscale-divisors",
        summary: "an autoscaled job's max parallelism has few divisors in its scaling range",
        explanation: "For a keyed vertex the autoscaler searches upward from the parallelism it wants for a divisor \
            of the key groups (the max parallelism), up to its limit (flink-kubernetes-operator \
            `JobVertexScaler.scale`, release-1.15.0), so a target between two divisors runs at the higher one: with \
            Flink's default 128 (a power of two: 1, 2, 4, … 128) a vertex that needs 33 subtasks gets 64. strata warns \
            when the max parallelism is unset (Flink derives a power of two), prime, or leaves a target more than \
            50% short of its next divisor below the max parallelism itself. The operator's guide recommends \
            \"120, 180, 240, 360, 720\".\n\n\
            Fix: set `autoscale max-parallelism=` to a number with many divisors, at least the autoscaler's limit, \
            before the job's state is first written: it cannot change later without migrating the state (see \
            `strata::diff::flink-max-parallelism-changed`).",
    },
    CodeInfo {
        code: "strata::flink::source-partitions",
        summary: "a Flink job's parallelism exceeds the partitions of the topics it reads",
        explanation: "A Kafka source reads each partition in one subtask, so subtasks beyond the partitions idle. The \
            autoscaler limits a source's parallelism to its partitions, summed over all its topics (FLINK-32100, \
            flink-kubernetes-operator PR #597); a fixed parallelism above them leaves source subtasks without a \
            split. strata knows the partitions of every topic a job declares with `reads`.\n\n\
            Fix: lower the parallelism or the autoscaler's `max` to the partitions, unless operators after a keyBy \
            or rebalance need more; or add partitions.",
    },
    CodeInfo {
        code: "strata::flink::unknown-topic",
        summary: "a Flink job reads a topic the platform does not declare",
        explanation: "`reads \"topic\"` names a `topic` of the platform (on the cluster given with `kafka=`, or the \
            only one), so strata can check the job's parallelism against its partitions. It generates nothing.\n\n\
            Fix: declare the topic, or correct the name.",
    },
    CodeInfo {
        code: "strata::flink::slots",
        summary: "a TaskManager with zero task slots",
        explanation: "`slots` becomes `taskmanager.numberOfTaskSlots`; a TaskManager without slots runs no task, \
            and the job cannot be scheduled.\n\n\
            Fix: use at least 1 slot (the default is 1).",
    },
    CodeInfo {
        code: "strata::flink::replicas",
        summary: "a Flink job with zero TaskManager or JobManager replicas",
        explanation: "The operator refuses zero replicas: \"TaskManager replicas must be larger than 0\" and \
            \"JobManager replicas should not be configured less than one.\" (`DefaultValidator.validateJobSpec`, \
            `validateJmReplicas`).\n\n\
            Fix: remove TaskManager `replicas` to let the operator derive it from parallelism and slots; use \
            1 JobManager, or 2 or more with `high-availability`.",
    },
    CodeInfo {
        code: "strata::flink::memory",
        summary: "a Flink JobManager or TaskManager has no memory",
        explanation: "The operator requires `spec.jobManager.resource.memory` and \
            `spec.taskManager.resource.memory`: \"JobManager resource memory must be defined using \
            `spec.jobManager.resource.memory`\" (`DefaultValidator.validateJmSpec`, `validateTmSpec`). strata \
            takes it from a `size` or from `memory` on `jobmanager` and `taskmanager`.\n\n\
            Fix: add `jobmanager size=\"m\"` / `taskmanager memory=\"4Gi\"`.",
    },
    CodeInfo {
        code: "strata::flink::memory-too-small",
        summary: "a Flink process has less memory than Flink's default memory model reserves",
        explanation: "With Flink's default memory settings a JobManager reserves 576Mi (metaspace 256Mi, JVM \
            overhead 192Mi, off-heap 128Mi) and a TaskManager about 982Mi (metaspace, overhead, framework heap \
            and off-heap, network, and 40% managed memory) before any heap is left; a smaller process fails \
            at startup with a memory configuration error. Not an operator rule, and skipped when the job \
            tunes `jobmanager.memory.*` or `taskmanager.memory.*` itself. A warning.\n\n\
            Fix: give the process at least the minimum the help names (size `s` or larger).",
    },
    CodeInfo {
        code: "strata::flink::resources",
        summary: "a Flink JobManager or TaskManager with zero CPU or memory",
        explanation: "A pod with zero CPU or memory has nothing to run on, and quota fit would count nothing for \
            it. strata is stricter than the operator here, which admits a zero CPU.\n\n\
            Fix: give the CPU and memory each pod gets, or use `size=`.",
    },
    CodeInfo {
        code: "strata::flink::unknown-size",
        summary: "a Flink JobManager or TaskManager names a size that is not defined",
        explanation: "`size=\"...\"` on `jobmanager` or `taskmanager` must name a size of the standard library \
            (`strata stdlib sizes`) or one the platform defines; it gives the pods' CPU and memory.\n\n\
            Fix: correct the name (the help suggests the closest), or define the size.",
    },
    CodeInfo {
        code: "strata::flink::state-dir",
        summary: "a Flink checkpoint, savepoint or HA directory is empty, or inside the pod",
        explanation: "Checkpoints, savepoints and HA metadata must outlive the pods: after a failover or an \
            upgrade the new JobManager restores from them. A local path (no scheme, or `file://`) lives in \
            the pod's file system and disappears with it, together with the job's state (a warning); an \
            empty directory is an error.\n\n\
            Fix: use durable storage the job can reach, e.g. `\"s3://bucket/flink/<job>\"` or `hdfs://...`.",
    },
    CodeInfo {
        code: "strata::flink::checkpoint-dir",
        summary: "a `last-state` or `savepoint` upgrade without a checkpoint directory",
        explanation: "Stateful upgrade modes restore the job from its checkpoints, and the operator refuses them \
            without a checkpoint directory: \"Checkpoint directory[execution.checkpointing.dir] must be \
            defined for last-state and savepoint upgrade modes\" (`DefaultValidator.validateJobSpec`).\n\n\
            Fix: add `dir=\"s3://bucket/checkpoints/<job>\"` to `checkpoints`, or use `upgrade=\"stateless\"`.",
    },
    CodeInfo {
        code: "strata::flink::savepoint-dir",
        summary: "savepoints are needed but no savepoint directory is set",
        explanation: "The operator refuses, without `execution.checkpointing.savepoint-dir`: savepoint upgrades \
            (\"Job could not be upgraded with savepoint while config key[...] is not set\"), periodic savepoints \
            (`kubernetes.operator.periodic.savepoint.interval`) and a maximum checkpoint age \
            (`kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age`), which triggers savepoint \
            upgrades (`DefaultValidator.validateJobSpec`).\n\n\
            Fix: add `savepoint-dir=\"s3://bucket/savepoints/<job>\"` to `checkpoints`.",
    },
    CodeInfo {
        code: "strata::flink::last-state-ha",
        summary: "a `last-state` upgrade without high availability",
        explanation: "Since operator 1.15 the validator admits `last-state` without HA: a running job is \
            upgraded from its latest checkpoint, read over REST. But a job whose JobManager is missing or \
            failed has no HA metadata to restore from, and the upgrade stops: \"JobManager deployment is \
            missing and HA metadata is not available to make stateful upgrades\" \
            (`AbstractJobReconciler.getJobUpgrade`, `ApplicationReconciler`). A warning; it was an error \
            before 1.15.\n\n\
            Fix: add `high-availability dir=\"s3://bucket/flink-ha/<job>\"`, or use `upgrade=\"savepoint\"`.",
    },
    CodeInfo {
        code: "strata::flink::checkpoint-interval",
        summary: "a stateful Flink job does not enable checkpointing",
        explanation: "Flink takes checkpoints only with an interval (`execution.checkpointing.interval`). A job \
            with a stateful upgrade mode but no interval has no recent checkpoint to upgrade or recover from, \
            so an upgrade restores old state or none.\n\n\
            Fix: add `every=\"60s\"` to `checkpoints`.",
    },
    CodeInfo {
        code: "strata::flink::ha-required",
        summary: "standby JobManagers without high availability",
        explanation: "More than one JobManager means standbys, which need leader election through HA: \"High \
            availability should be enabled when starting standby JobManagers.\" \
            (`DefaultValidator.validateJmReplicas`).\n\n\
            Fix: add `high-availability dir=\"s3://bucket/flink-ha/<job>\"`, or use one JobManager.",
    },
    CodeInfo {
        code: "strata::flink::rollback-ha",
        summary: "rollback enabled without high availability",
        explanation: "`kubernetes.operator.deployment.rollback.enabled` makes the operator restore the last \
            stable spec after a failed upgrade, from HA metadata; without HA it refuses: \"HA must be enabled \
            for rollback support.\" (`DefaultValidator.validateFlinkDeploymentConfig`).\n\n\
            Fix: add `high-availability dir=\"...\"`, or remove the rollback setting.",
    },
    CodeInfo {
        code: "strata::flink::health-check-recovery",
        summary: "the cluster health check without JobManager deployment recovery",
        explanation: "`kubernetes.operator.cluster.health-check.enabled` restarts an unhealthy cluster by \
            redeploying its JobManager, which needs `kubernetes.operator.jm-deployment-recovery.enabled` \
            (true by default): \"Deployment recovery (...) must be enabled for job health check (...) \
            support.\" (`DefaultValidator.validateFlinkDeploymentConfig`).\n\n\
            Fix: remove `config \"kubernetes.operator.jm-deployment-recovery.enabled\" false`, or turn the \
            health check off.",
    },
    CodeInfo {
        code: "strata::flink::autoscaler",
        summary: "a Flink autoscaler option is not a number, or out of range",
        explanation: "When `job.autoscaler.enabled` is on, the operator validates the autoscaler's options \
            (`AutoscalerValidator`, `AutoScalerOptions`): scale-up and scale-down factors, utilization target, \
            boundary, minimum and maximum, and the scalability coefficient must be numbers within their \
            ranges: \"The AutoScalerOption ... is invalid, it should be a value within the range [...]\", or \
            \"Invalid value in the autoscaler config ...\". Deprecated and `kubernetes.operator.`-prefixed \
            spellings are read too.\n\n\
            Fix: use a number within the range the help gives.",
    },
    CodeInfo {
        code: "strata::flink::forbidden-config",
        summary: "a Flink config key the operator forbids",
        explanation: "`kubernetes.namespace`, `kubernetes.cluster-id` and `high-availability.cluster-id` are set by \
            the operator from the FlinkDeployment's namespace and name; a deployment that sets them is \
            refused: \"Forbidden Flink config key: ...\" (`DefaultValidator.validateFlinkDeploymentConfig`).\n\n\
            Fix: remove the key.",
    },
    CodeInfo {
        code: "strata::flink::config-owned",
        summary: "a Flink config key strata sets from a dedicated setting",
        explanation: "Keys such as `taskmanager.numberOfTaskSlots`, the checkpoint and savepoint directories or \
            the HA settings are written by strata from the job's own fields (`slots`, `checkpoints`, \
            `high-availability`), which quota fit and the state checks read. The same key in `config` would \
            conflict with the value strata emits.\n\n\
            Fix: use the setting the help names instead of `config`.",
    },
    CodeInfo {
        code: "strata::flink::duplicate-config",
        summary: "a Flink config key is set twice",
        explanation: "`flinkConfiguration` is a map; two entries for one key would leave one, depending on the \
            order.\n\n\
            Fix: keep one `config` per key.",
    },
    CodeInfo {
        code: "strata::flink::env-name",
        summary: "a Flink environment variable has an invalid name",
        explanation: "Kubernetes accepts environment variable names of letters, digits, `_`, `-` and `.` that do \
            not start with a digit, and refuses a pod with any other; an empty name is never valid.\n\n\
            Fix: use a name such as `LOG_LEVEL`.",
    },
    CodeInfo {
        code: "strata::flink::literal-secret",
        summary: "a Flink job writes a secret into the spec",
        explanation: "A `config` or `env` value under a key that holds a secret (`*password*`, `*token*`, `s3.secret-key`, \
            ...), or a URI with `user:password@` in the jar, checkpoint, savepoint or HA directory, would be \
            written into the FlinkDeployment, and so into Git and `kubectl get -o yaml`.\n\n\
            Fix: keep it in a Secret and pass it as `env \"NAME\" secret=\"...\" key=\"...\"`, read by the \
            filesystem plugin or the job.",
    },
    CodeInfo {
        code: "strata::flink::pod-security",
        summary: "a Flink config key breaks the Pod Security level its tenant enforces",
        explanation: "Outside a `privileged` tenant strata refuses config keys that take the pods out of what the \
            tenant's Pod Security level guarantees: `kubernetes.hostnetwork.enabled` (host namespaces are \
            forbidden from `baseline` up), the `kubernetes.*service-account` keys (the pods would run under \
            an identity strata does not grant), and JobManager or TaskManager annotations with an AppArmor \
            profile other than `runtime/default` or `localhost/*` (pod-security-admission \
            `check_appArmorProfile.go`).\n\n\
            Fix: remove the key, or run the job in a tenant with `pod-security=\"privileged\"`.",
    },
    CodeInfo {
        code: "strata::flink::apiserver-egress",
        summary: "an isolated tenant runs Flink but its network policy blocks the Kubernetes API",
        explanation: "In native mode the JobManager starts its TaskManagers through the Kubernetes API. An \
            isolated tenant allows egress only to DNS, its namespace and declared peers, and the API server is \
            not a pod, so only an address-based rule (`cidr`) lets the JobManager reach it; without one the \
            job never gets TaskManagers. A warning, since the API server's addresses are cluster state.\n\n\
            Fix: allow the API server's addresses in the tenant's `network` block, e.g. `egress 443 \
            cidr=\"10.0.0.0/16\"`.",
    },
    // Batch jobs.
    CodeInfo {
        code: "strata::job::missing",
        summary: "a job lacks a required part (image, resources)",
        explanation: "A `job` needs an `image` to run and `resources` (a size, or cpu and memory) so that strata knows what its pods ask of the tenant's quota.\n\nFix: add the part the message names inside the job's block, e.g. `image \"ghcr.io/dbt-labs/dbt-postgres:1.8.2\"` and `resources size=\"s\"`.",
    },
    CodeInfo {
        code: "strata::job::unknown-tenant",
        summary: "a job names a tenant that does not exist",
        explanation: "Every job runs in a tenant's namespace, under its quota and network policy. The tenant named by `tenant=` is not defined in the platform.\n\nFix: correct the name or define the tenant.",
    },
    CodeInfo {
        code: "strata::job::duplicate",
        summary: "two jobs of one tenant share a name",
        explanation: "A Job and a CronJob of one name in one namespace would share their pods' names and `job-name` labels, and two Jobs (or two CronJobs) of one name are one object.\n\nFix: rename one of them.",
    },
    CodeInfo {
        code: "strata::job::name",
        summary: "a job's name is not one Kubernetes accepts for a Job or CronJob",
        explanation: "A Job's name becomes its pods' `batch.kubernetes.io/job-name` label, so it must be a DNS-1123 label of at most 63 characters. A CronJob's runs are named `<name>-<minutes since 1970>` by the CronJob controller (`getJobName` in pkg/controller/cronjob), so the API server refuses CronJob names longer than 52 characters (`ValidateCronJobCreate`).\n\nFix: use lower-case letters, digits and `-`, at most 63 characters, or 52 for a scheduled job.",
    },
    CodeInfo {
        code: "strata::job::image",
        summary: "a job's image is empty or not a valid reference",
        explanation: "The image reference cannot be pulled: it is empty, contains spaces, has an upper-case repository path or an empty tag.\n\nFix: write `[registry/]repository:tag` in lower case.",
    },
    CodeInfo {
        code: "strata::job::image-tag",
        summary: "a job's image is not pinned to a version",
        explanation: "An image without a tag, or with `latest`, can change between runs: tonight's run may execute different code than last night's. A warning.\n\nFix: pin a version tag or a digest (`@sha256:...`).",
    },
    CodeInfo {
        code: "strata::job::env",
        summary: "a job's environment variable has an invalid or repeated name",
        explanation: "Kubernetes refuses variable names with characters other than letters, digits, `_`, `-` and `.`, or starting with a digit; a name given twice keeps only one value.\n\nFix: rename the variable or remove the repeat.",
    },
    CodeInfo {
        code: "strata::job::literal-secret",
        summary: "a job writes a secret value into the spec",
        explanation: "A variable whose name says it holds a secret (`DB_PASSWORD`, `API_TOKEN`), or a URI with a password in `command`, `args` or a variable, would end up in the manifests, in Git and in `kubectl get -o yaml`. strata never writes secret values.\n\nFix: keep the value in a Secret and reference it: `env \"DB_PASSWORD\" secret=\"warehouse\" key=\"password\"`.",
    },
    CodeInfo {
        code: "strata::job::service-account",
        summary: "a job's ServiceAccount name is not a valid name",
        explanation: "The pod's `serviceAccountName` must be a DNS-1123 subdomain; the API server refuses the Job otherwise.\n\nFix: name an existing ServiceAccount of the tenant's namespace.",
    },
    CodeInfo {
        code: "strata::job::security",
        summary: "`run-as-user` given with `security \"none\"`",
        explanation: "`security \"none\"` leaves the pod to the image's user and the runtime's defaults, so a `run-as-user` has no effect.\n\nFix: remove `run-as-user`, or use `security \"restricted\" run-as-user=...`.",
    },
    CodeInfo {
        code: "strata::job::run-as-user",
        summary: "a restricted job would run as root",
        explanation: "Restricted pods get `runAsNonRoot: true`; with uid 0 the kubelet refuses to start the container (Pod Security Standards, \"Running as Non-root\").\n\nFix: give the image's non-root uid, or leave `run-as-user` out (strata uses 1000).",
    },
    CodeInfo {
        code: "strata::job::pod-security",
        summary: "a job opts out of restricted pod security in a tenant that enforces it",
        explanation: "The tenant's namespace enforces Pod Security `restricted`, and a job with `security \"none\"` gets no restricted security context, so Pod Security admission would refuse every pod the Job controller creates (the Job itself is accepted and then never runs).\n\nFix: remove `security \"none\"`, or lower the tenant's `pod-security`.",
    },
    CodeInfo {
        code: "strata::job::restart",
        summary: "a job's pods would restart `Always`",
        explanation: "The API server accepts only `Never` and `OnFailure` as a Job's pod `restartPolicy` (pkg/apis/batch/validation). `Never` retries a failed run with a new pod (up to `retries`); `OnFailure` reruns the container in the same pod.\n\nFix: use `restart \"Never\"` or `\"OnFailure\"`; a task that runs forever is a Deployment.",
    },
    CodeInfo {
        code: "strata::job::out-of-range",
        summary: "a job's count is larger than the Job's field can hold",
        explanation: "`backoffLimit` (`retries`), `parallelism`, `completions`, `ttlSecondsAfterFinished` (`ttl`) and the CronJob history limits are `int32` fields in `batch/v1`; a larger number is refused by the API server, and strata will not write a different one.\n\nFix: use a value up to 2147483647.",
    },
    CodeInfo {
        code: "strata::job::duration",
        summary: "a job's duration is not whole seconds",
        explanation: "`deadline` (`activeDeadlineSeconds`, at least 1), `ttl` (`ttlSecondsAfterFinished`) and `starting-deadline` (`startingDeadlineSeconds`, at least 1) are seconds in the Job and CronJob, so a fraction cannot be written.\n\nFix: write whole seconds, e.g. `\"30s\"`, `\"2h\"`, `\"1d\"`.",
    },
    CodeInfo {
        code: "strata::job::unknown-size",
        summary: "a job names a size preset that does not exist",
        explanation: "`resources size=` names a size from the stdlib or the platform; the name is not defined.\n\nFix: use one of the sizes listed, or define it with `size \"name\" cpu=... memory=...`.",
    },
    CodeInfo {
        code: "strata::job::resources",
        summary: "a job's pod size is incomplete or zero",
        explanation: "Without a size, both `cpu=` and `memory=` are needed: strata sets them as the container's requests and limits and counts them in the tenant's quota fit. A zero value is a pod that cannot run.\n\nFix: give a size (`resources size=\"m\"`), or both `cpu=` and `memory=`.",
    },
    CodeInfo {
        code: "strata::job::parallelism",
        summary: "a job's parallelism or completions run no pods, or more than can run",
        explanation: "`parallelism 0` or `completions=0` makes a Job that never runs a pod (an error). A parallelism above completions is a warning: the Job controller never starts more pods than completions remain, so the extra parallelism does nothing (quota fit counts the smaller).\n\nFix: use at least 1, and a parallelism no larger than completions.",
    },
    CodeInfo {
        code: "strata::job::cron",
        summary: "a scheduled job's schedule does not parse",
        explanation: "The API server validates a CronJob's `spec.schedule` with robfig/cron's `ParseStandard` (five fields or a `@` descriptor) and refuses `TZ=`/`CRON_TZ=` in it on create since Kubernetes 1.25 (`validateScheduleFormat` in pkg/apis/batch/validation): the zone belongs in `timeZone`. The same parser rules as for scheduled Spark jobs (`check/schedule.rs`).\n\nFix: correct the field the message underlines; put the zone in `timezone=`.",
    },
    CodeInfo {
        code: "strata::job::timezone",
        summary: "a scheduled job's time zone is not one the API server accepts",
        explanation: "A CronJob's `spec.timeZone` must be a name of the IANA time zone database that Go's `time.LoadLocation` loads, and not `Local` (`validateTimeZone` in pkg/apis/batch/validation): the API server refuses the CronJob otherwise. strata writes `UTC` when the spec names no zone, since without one the controller uses its own local zone.\n\nFix: use a name like `UTC`, `Europe/Berlin` or `America/New_York`.",
    },
    CodeInfo {
        code: "strata::job::starting-deadline",
        summary: "a scheduled job's starting deadline is so short that runs can be skipped",
        explanation: "With `startingDeadlineSeconds` set, the CronJob controller skips a run it reaches later than that after its scheduled time (a `MissSchedule` event). The current controller (pkg/controller/cronjob, Kubernetes 1.36) requeues each CronJob for its next time, but a restart, a leader change or a busy work queue delays it by seconds, so a deadline under 10 s can skip runs on a healthy cluster. Without a deadline the controller starts the most recent missed run however late; the old controller's refusal to start anything after more than 100 missed schedules (kubernetes/kubernetes#42649) is gone: today it only records a `TooManyMissedTimes` event and starts the latest run. A warning.\n\nFix: use at least 10 s (minutes are usual), or leave the deadline out.",
    },
    CodeInfo {
        code: "strata::job::node-selector",
        summary: "a job's node selector is not a valid label key or value",
        explanation: "A pod's `nodeSelector` is validated with `ValidateLabels` (pkg/apis/core/validation); the Job is accepted but the Job controller's pods are refused, so the job never runs. The same rule as for Spark jobs (`check/scheduling.rs`).\n\nFix: use the node label exactly as the nodes carry it.",
    },
    CodeInfo {
        code: "strata::job::toleration",
        summary: "a job's toleration is not one Kubernetes accepts",
        explanation: "A toleration's operator is `Equal` or `Exists`, its effect `NoSchedule`, `PreferNoSchedule` or `NoExecute`; `Exists` takes no value, a toleration without a key must use `Exists`, and `seconds` applies only to `NoExecute`; key and value follow the label rules (`ValidateTolerations`). The same rule as for Spark jobs (`check/scheduling.rs`).\n\nFix: correct the toleration as the help says.",
    },
    // Stream apps.
    CodeInfo {
        code: "strata::app::name",
        summary: "a stream-app name is not a valid Kubernetes name, too long for KEDA, or used twice",
        explanation: "The name is the Deployment's, the PodDisruptionBudget's and the autoscaler's name and \
            the value of its pods' `app.kubernetes.io/name` label, so it must be a DNS-1123 label (lower-case \
            letters, digits and `-`, at most 63). KEDA names the HPA it creates `keda-hpa-<name>`, which must \
            fit a 63-character label value, so a KEDA-scaled app's name has at most 54 characters: KEDA's \
            admission webhook refuses the ScaledObject otherwise (`verifyName`, kedacore/keda v2.20.2 \
            `apis/keda/v1alpha1/scaledobject_webhook.go`). Two apps of one tenant cannot share a name.\n\n\
            Fix: rename the app.",
    },
    CodeInfo {
        code: "strata::app::incomplete",
        summary: "a stream-app has no image, an image without a version, or no known size",
        explanation: "The image is what the Deployment runs (with a version tag: `latest` or no tag makes \
            each rollout run whatever the registry holds that day). The size preset gives every replica its \
            requests and limits, which quota fit multiplies by the replicas at peak and admission checks \
            against the tenant's LimitRange.\n\n\
            Fix: add `image \"registry/app:1.2.0\"` and `size \"m\"` (a size preset).",
    },
    CodeInfo {
        code: "strata::app::reserved-env",
        summary: "a stream-app's `env` is invalid or sets a variable strata writes for the Kafka connection",
        explanation: "strata writes the Kafka connection into `KAFKA_BOOTSTRAP_SERVERS`, \
            `KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_MECHANISM`, `KAFKA_USERNAME`, `KAFKA_PASSWORD`, \
            `KAFKA_SSL_CA`, `KAFKA_SSL_CERTIFICATE`, `KAFKA_SSL_KEY` and `KAFKA_GROUP_ID` (the KEDA \
            TriggerAuthentication reads `KAFKA_USERNAME` from the container too). A second definition of one \
            of them would silently win or lose. The variable name must be valid, and a secret-looking value \
            must come from a Secret (`secret=`/`key=`), never be written in the spec.\n\n\
            Fix: remove or rename the variable; take secrets from a Secret.",
    },
    CodeInfo {
        code: "strata::app::no-probes",
        summary: "a stream-app has no liveness or readiness probe",
        explanation: "Without probes a consumer that hangs keeps its partitions assigned and its lag grows \
            while Kubernetes reports it healthy, and a rollout counts a pod as available as soon as its \
            process starts. A warning: some consumers have no HTTP endpoint.\n\n\
            Fix: `health port=8080 liveness=\"/healthz\" readiness=\"/ready\"`.",
    },
    CodeInfo {
        code: "strata::app::replicas-with-autoscale",
        summary: "a stream-app has both a fixed `replicas` and an `autoscale`",
        explanation: "An autoscaler owns the Deployment's replica count. A fixed count in what strata applies \
            would reset the scale on every apply and fight the autoscaler (the Kubernetes HPA documentation \
            says to remove `spec.replicas` when an HPA is used; apache/airflow PR #29838 drops it for KEDA). \
            strata emits no `spec.replicas` for an autoscaled app, so a fixed count has no meaning.\n\n\
            Fix: remove `replicas`; set `autoscale min=` for the floor.",
    },
    CodeInfo {
        code: "strata::app::autoscale",
        summary: "an `autoscale` block has no trigger, two kinds of trigger, min above max, max 0, or an HPA at min 0",
        explanation: "`autoscale` needs exactly one kind of trigger: `kafka lag=...` (a KEDA ScaledObject with \
            the Kafka scaler) or `cpu=`/`memory=` targets (an `autoscaling/v2` HPA). `min` must not exceed \
            `max`: KEDA's CRD rule and webhook refuse it (\"MinReplicaCount=... must be less than \
            MaxReplicaCount=...\", `CheckReplicaCountBoundsAreValid` in kedacore/keda v2.20.2 \
            `apis/keda/v1alpha1/scaledobject_types.go`), as does the HPA API. `max=0` never runs the app. An \
            HPA's `minReplicas: 0` needs the alpha `HPAScaleToZero` gate and an Object or External metric.\n\n\
            Fix: as the message says; scale to zero with KEDA (`min=0` and a `kafka` trigger).",
    },
    CodeInfo {
        code: "strata::app::consumer-group",
        summary: "the Kafka trigger measures a consumer group or topic the app does not consume",
        explanation: "KEDA's Kafka scaler scales on the lag of one consumer group (`consumerGroup`), on one \
            topic or every topic of the group. Measuring a group the app does not read as scales the app on \
            someone else's backlog; an app with several groups must name the one to scale on.\n\n\
            Fix: `kafka group=\"...\" topic=\"...\"` naming a group and topic of the app's `consumes`.",
    },
    CodeInfo {
        code: "strata::app::idle-consumers",
        summary: "an autoscaler's maximum is above the partitions its consumer group can use",
        explanation: "In a consumer group each partition is read by one consumer at a time: replicas beyond \
            the partition count get no partition and sit idle. KEDA's Kafka scaler therefore never scales past \
            the partitions of the measured topic (or of every topic of the group) unless `allowIdleConsumers` \
            is set, which surprises users as scaling stuck below `max` (kedacore/keda#776, #2908). Quota fit \
            still reserves the maximum. strata knows the partitions of every topic it declares and shows the \
            sum. A warning.\n\n\
            Fix: lower `max` to the partition count, or add partitions; `allow-idle-consumers=#true` only for \
            spare consumers on purpose.",
    },
    CodeInfo {
        code: "strata::app::partitions-with-lag",
        summary: "`limit-to-partitions-with-lag` without `topic`, or together with `allow-idle-consumers`",
        explanation: "KEDA's Kafka scaler refuses the trigger: \"topic must be specified when using \
            limitToPartitionsWithLag\" and \"allowIdleConsumers and limitToPartitionsWithLag cannot be set \
            simultaneously\" (kedacore/keda v2.20.2 `pkg/scalers/kafka_scaler.go`). The ScaledObject is \
            accepted by the API server and then never scales.\n\n\
            Fix: add `topic=`, and keep only one of the two flags.",
    },
    CodeInfo {
        code: "strata::app::idle-replicas",
        summary: "`idle-replicas` is not 0 or not below the minimum, or is given to an HPA",
        explanation: "KEDA's `idleReplicaCount` is the count while no trigger is active. KEDA supports only \
            0, and its webhook refuses a value not below the HPA's minimum (\"IdleReplicaCount=... must be \
            less than MinReplicaCount=...\", `CheckReplicaCountBoundsAreValid`, kedacore/keda v2.20.2). An HPA \
            has no such setting.\n\n\
            Fix: `idle-replicas=0` with `min` of at least 1, or remove it.",
    },
    CodeInfo {
        code: "strata::app::fallback",
        summary: "a KEDA `fallback` misses a field, is negative, or is given to an HPA",
        explanation: "KEDA's CRD requires both `fallback.failureThreshold` and `fallback.replicas`, and its \
            webhook refuses negative values (`CheckFallbackValid`, kedacore/keda v2.20.2 \
            `apis/keda/v1alpha1/scaledobject_types.go`). Fallback works only with scalers other than \
            cpu/memory, so an HPA-scaled app cannot have one.\n\n\
            Fix: `fallback failure-threshold=3 replicas=4`, or remove it.",
    },
    CodeInfo {
        code: "strata::app::utilization",
        summary: "an HPA utilization target is not a percentage",
        explanation: "`cpu=` and `memory=` are average utilization targets, as a percentage of the \
            container's request (`\"70%\"`, from 1 to 1000).\n\n\
            Fix: write e.g. `cpu=\"70%\"`.",
    },
    // Monitoring (Prometheus Operator).
    CodeInfo {
        code: "strata::monitoring::no-selector",
        summary: "`monitoring` declares no selector labels",
        explanation: "A `Prometheus` object of the Prometheus Operator picks up only the PodMonitors, \
            ServiceMonitors and PrometheusRules its `podMonitorSelector`, `serviceMonitorSelector` and \
            `ruleSelector` match; a null selector matches none. kube-prometheus-stack, installed with its \
            defaults (`*SelectorNilUsesHelmValues: true`), selects only objects labelled \
            `release: <helm release>`. A monitor or rule without that label is accepted by the API server \
            and then silently ignored: no targets, no alerts, no error \
            (prometheus-operator/prometheus-operator#3636; prometheus-community/helm-charts#430, #1097). \
            strata puts the `selector` labels of `monitoring` on every monitoring object it emits, so a \
            `monitoring` node without them is almost certainly a mistake.\n\n\
            Fix: add the labels your Prometheus selects on, e.g. \
            `monitoring { selector \"release\" \"kube-prometheus-stack\" }` (the Helm release's name). If \
            your Prometheus selects everything (`{}`), declare any label of your choosing to silence this.",
    },
    CodeInfo {
        code: "strata::monitoring::namespace",
        summary: "the monitoring namespace is not a valid namespace name",
        explanation: "`monitoring namespace=\"...\"` names where Prometheus runs: the source of every \
            scrape. It must be a DNS-1123 label, like every namespace name.\n\n\
            Fix: use the namespace your Prometheus is installed in (kube-prometheus-stack's is usually \
            `monitoring`).",
    },
    CodeInfo {
        code: "strata::monitoring::scrape-timeout",
        summary: "the scrape timeout is longer than the scrape interval",
        explanation: "A scrape must finish before the next one starts: Prometheus refuses a scrape \
            configuration whose `scrape_timeout` exceeds its `scrape_interval`, and the Prometheus Operator \
            rejects a PodMonitor or ServiceMonitor endpoint whose `scrapeTimeout` is longer than its \
            `interval` (`pkg/apis/monitoring/v1/podmonitor_types.go`).\n\n\
            Fix: make `scrape-timeout=` at most `interval=`, or scrape less often.",
    },
    CodeInfo {
        code: "strata::monitoring::label",
        summary: "a selector or alert label is not a valid Kubernetes label, or is given twice",
        explanation: "`selector` labels become labels of Kubernetes objects, and `alert-label` labels are \
            matched by Alertmanager routes next to them: each key must be a Kubernetes label key (an \
            optional DNS subdomain prefix and `/`, then at most 63 letters, digits, `-`, `_` and `.`), each \
            value a label value, and a key may be given once (apimachinery `IsQualifiedName`, \
            `IsValidLabelValue`).\n\n\
            Fix: correct the key or value, and keep one value per key.",
    },
    CodeInfo {
        code: "strata::monitoring::duplicate",
        summary: "`platform` has two `monitoring` nodes",
        explanation: "The platform has one Prometheus setup, so `monitoring` may appear once in `platform`.\n\n\
            Fix: merge the two nodes into one.",
    },
    CodeInfo {
        code: "strata::monitoring::port",
        summary: "a `metrics` port is not a port number",
        explanation: "`metrics port=` becomes a container port of the workload's pod, which Kubernetes \
            accepts from 1 to 65535 (apimachinery `IsValidPortNum`).\n\n\
            Fix: write the port the container serves its metrics on, e.g. `metrics port=9090`.",
    },
    CodeInfo {
        code: "strata::monitoring::port-name",
        summary: "a `metrics` port name is not a valid container port name",
        explanation: "A `metrics` port is a named container port, and its PodMonitor scrapes it by that \
            name. Kubernetes refuses a pod whose port name is not an IANA service name: 1 to 15 \
            characters of lower-case letters, digits and `-`, at least one letter, no `-` at either end \
            and no `--` (apimachinery `IsValidPortName`, \
            `staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`). The Deployment or \
            Job would be accepted and its pods then refused, one failed creation after another.\n\n\
            Fix: `port-name=\"metrics\"` (the default), or another short lower-case name.",
    },
    CodeInfo {
        code: "strata::monitoring::port-conflict",
        summary: "two `metrics` ports of one pod share a name or a number",
        explanation: "Each `metrics` node is a container port and one endpoint of the workload's \
            PodMonitor. Port names must be unique in a pod (the API server refuses the pod), and a \
            PodMonitor endpoint selects a port by name, so two ports with one name cannot both be \
            scraped. Two nodes on one port number would scrape the same listener twice and duplicate \
            every series (Kubernetes itself only warns about a duplicate port). A monitored Spark job's \
            driver is scraped on its web UI port (`spark.ui.port`, 4040), which must differ from its RPC \
            and block manager ports (Spark names all three on the driver's container), and a monitored \
            Flink job's `rest.port` must not be the reporter's 9249.\n\n\
            Fix: give each `metrics` node its own `port-name=` and port. For a Spark job, keep \
            `spark.ui.port` (scraped) apart from `spark.driver.port` and `spark.blockManager.port`.",
    },
    CodeInfo {
        code: "strata::monitoring::no-kafka-exporter",
        summary: "a tenant consumes from a Kafka cluster that has no Kafka Exporter",
        explanation: "Consumer lag per group is not a broker metric: Strimzi measures it with the Kafka \
            Exporter it deploys next to a cluster whose `Kafka` resource has `spec.kafkaExporter` \
            (Strimzi's \"Kafka Exporter\" documentation: offsets, consumer groups, consumer lag and topics \
            as Prometheus metrics such as `kafka_consumergroup_lag`). strata cannot see the `Kafka` \
            resource, so the cluster says whether it has one: `kafka \"main\" ... kafka-exporter=#true`. \
            When `monitoring` is declared, a tenant that reads as a consumer group (a `consumes ... \
            group=` or an explicit Read ACL on a group) from a cluster without it has lag nobody can \
            alert on: a warning, once per tenant and cluster. An exporter limited with `groupRegex` must \
            still include the tenant's groups.\n\n\
            Fix: add `kafkaExporter: {}` (or your settings) to the `Kafka` resource and \
            `kafka-exporter=#true` to the cluster's `kafka` node.",
    },
    CodeInfo {
        code: "strata::monitoring::scrape-conf",
        summary: "a monitored job's own configuration changes what strata configures for its scrape",
        explanation: "With `monitoring`, strata configures where a job serves its metrics and points the \
            job's PodMonitor there: a Flink job's Prometheus reporter \
            (`metrics.reporter.prom.factory.class`, `metrics.reporter.prom.port` 9249, the container port \
            `metrics`), a Spark job's `PrometheusServlet` sink and `spark.ui.prometheus.enabled`. A \
            `config` / `conf` entry of the job with another value wins over strata's in the job's \
            configuration but not in the monitor, which would then scrape a port or path that serves \
            nothing: targets down or no metrics, with no error anywhere. The same value is accepted.\n\n\
            Fix: remove the entry.",
    },
    CodeInfo {
        code: "strata::monitoring::spark-unscraped",
        summary: "a Spark job of a monitored platform cannot be scraped natively",
        explanation: "strata scrapes Spark jobs through Spark's own Prometheus support: the \
            `PrometheusServlet` sink for the driver's metrics and `spark.ui.prometheus.enabled` for the \
            executors' (apache/spark `docs/monitoring.md`, SPARK-29032, SPARK-29064), both served on the \
            driver's web UI port. Spark before 3.0 has neither, and `spark.ui.enabled=false` turns the UI \
            off, so such a job gets no Prometheus configuration and no PodMonitor. A warning: the job still \
            runs.\n\n\
            Fix: run the job on Spark 3.0 or newer with its UI on, or monitor it some other way (for \
            example the Spark operator's JMX exporter, `.spec.monitoring`).",
    },
    CodeInfo {
        code: "strata::monitoring::alert-unknown",
        summary: "an `alert` override names an alert strata does not write about that node",
        explanation: "strata writes a fixed set of alerts per kind of node, and an `alert \"<name>\"` child \
            overrides one of them: on `flink-job` FlinkCheckpointsFailing, FlinkCheckpointTooSlow and \
            FlinkJobRestarting; on `spark-job` SparkApplicationFailed and ScheduledSparkJobNotSucceeded; on \
            `job` ScheduledJobNotSucceeded; on `stream-app` and `kafka-user` KafkaConsumerGroupLagging; on \
            `topic` KafkaTopicUnderMinIsr. Any other name would override nothing.\n\n\
            Fix: use one of the node's alert names (the message lists them).",
    },
    CodeInfo {
        code: "strata::monitoring::alert-duplicate",
        summary: "a node overrides the same alert twice",
        explanation: "Each alert of a node has one threshold, one `for` and one severity, so it may be \
            overridden by one `alert` node.\n\n\
            Fix: merge the two `alert` nodes.",
    },
    CodeInfo {
        code: "strata::monitoring::alert-threshold",
        summary: "an alert's threshold is not in the unit the alert measures",
        explanation: "`threshold=` replaces the value strata derives from the spec, in the alert's own \
            unit: a count for failed checkpoints, restarts (in the alert's window), consumer lag (messages) \
            and in-sync replicas (the alert fires below it); a duration in quotes for a slow checkpoint and \
            for a scheduled job that has not succeeded (`\"26h\"`). SparkApplicationFailed fires on a failed \
            driver pod and has no threshold.\n\n\
            Fix: write the threshold in the alert's unit, or set `for=`, `severity=` or `enabled=#false` \
            instead.",
    },
    CodeInfo {
        code: "strata::monitoring::alert-severity",
        summary: "an alert's severity is not `warning` or `critical`",
        explanation: "strata's alerts carry `severity: warning` or `severity: critical`, the values \
            Alertmanager routes in kube-prometheus-stack's default configuration match on. Another value \
            would reach no route meant for it.\n\n\
            Fix: `severity=\"warning\"` or `severity=\"critical\"`.",
    },
    CodeInfo {
        code: "strata::monitoring::alert-unused",
        summary: "`alert` overrides in a platform without `monitoring`",
        explanation: "strata writes alerts only when `platform` declares `monitoring`, so an `alert` \
            override has nothing to change. A warning, reported once.\n\n\
            Fix: declare `monitoring` (with the selector labels your Prometheus matches), or remove the \
            `alert` nodes.",
    },
    CodeInfo {
        code: "strata::monitoring::overdue-blind",
        summary: "a scheduled Spark job's missed-run alert could never fire",
        explanation: "`ScheduledSparkJobNotSucceeded` measures the time since the newest successful run's \
            driver pod finished (kube-state-metrics `kube_pod_completion_time`). The Spark operator deletes \
            finished runs, and their pods with them, beyond the schedule's `successful-history` and once the \
            template's `ttl` (`timeToLiveSeconds`) has passed. With `successful-history=0`, or a `ttl` shorter \
            than the alert's threshold, no successful driver pod is left by the time the alert should fire: \
            the expression has no series and stays silent through any number of missed runs. A warning.\n\n\
            Fix: keep one successful run (`successful-history` of at least 1, the operator's default) and a \
            `ttl` at least as long as the threshold, or turn the alert off with \
            `alert \"ScheduledSparkJobNotSucceeded\" enabled=#false` and watch the schedule another way.",
    },
    // External secrets (External Secrets Operator).
    CodeInfo {
        code: "strata::eso::literal-value",
        summary: "a secret value is written into the spec next to an external secret's key",
        explanation: "A `key` of an `external-secret` names where a value lives in the store (`remote=`, \
            `property=`, `version=`) and never takes the value itself: a second argument or a `value=` property \
            would put the secret into the spec, its Git history and the compiled manifests. The literal is \
            refused while the spec is read, before anything can carry it further.\n\n\
            Fix: put the value in the store and reference it: `key \"password\" remote=\"prod/payments/db\" \
            property=\"password\"`.",
    },
    CodeInfo {
        code: "strata::eso::incomplete",
        summary: "an external secret lacks its tenant or store, or a key names an empty remote key",
        explanation: "An `external-secret` needs `tenant=` (the namespace that gets the Secret) and `store=` \
            (a `secret-store` of the spec); each `key` needs a non-empty `remote=` (ESO's `remoteRef.key` is \
            required). Without them there is no ExternalSecret strata could emit.\n\n\
            Fix: add the missing property, e.g. `external-secret \"db\" tenant=\"payments\" store=\"vault\"`.",
    },
    CodeInfo {
        code: "strata::eso::unknown-tenant",
        summary: "an external secret or a SecretStore names a tenant the spec does not define",
        explanation: "The tenant decides the namespace the ExternalSecret (and its Secret) lives in, and the \
            namespace a namespaced SecretStore is in. A tenant the spec does not define has no namespace.\n\n\
            Fix: correct the name, or define the tenant.",
    },
    CodeInfo {
        code: "strata::eso::unknown-store",
        summary: "an external secret names a secret store the spec does not declare",
        explanation: "Every store an `external-secret` reads from is declared with `secret-store \"name\" \
            kind=\"ClusterSecretStore\"` (or `kind=\"SecretStore\" tenant=\"...\"`). strata does not emit stores \
            (they hold the provider's credentials and belong to the platform team), but it must know them: ESO \
            reports a store that does not exist only when it reconciles (`SecretSyncedError`), after the apply \
            succeeded, and every pod reading the Secret then fails to start.\n\n\
            Fix: correct the store's name, or declare the store the platform team runs.",
    },
    CodeInfo {
        code: "strata::eso::store-scope",
        summary: "a store's kind and tenant disagree, or an external secret uses another tenant's SecretStore",
        explanation: "A `SecretStore` is namespaced: it needs the tenant whose namespace holds it, and ESO looks a \
            `secretStoreRef` of `kind: SecretStore` up in the ExternalSecret's own namespace, so only that \
            tenant's external secrets can use it. A `ClusterSecretStore` is cluster-scoped and belongs to no \
            tenant (ESO `apis/externalsecrets/v1/secretstore_types.go`; \
            https://external-secrets.io/latest/api/clustersecretstore/).\n\n\
            Fix: give a SecretStore its `tenant=`, remove `tenant` from a ClusterSecretStore, or use a \
            ClusterSecretStore for secrets of several tenants.",
    },
    CodeInfo {
        code: "strata::eso::duplicate-store",
        summary: "two secret stores have the same name",
        explanation: "Stores are referred to by name from `external-secret ... store=`; two of one name make the \
            reference ambiguous.\n\n\
            Fix: keep one declaration, or rename one of them in the spec.",
    },
    CodeInfo {
        code: "strata::eso::policy",
        summary: "a creation/deletion policy pair the External Secrets Operator refuses",
        explanation: "ESO's admission webhook refuses an ExternalSecret whose `target.deletionPolicy` is `Delete` \
            while its `creationPolicy` is `Merge`, `None` or `CreateOrMerge` (the controller does not own the \
            Secret it would delete), and `deletionPolicy: Merge` with `creationPolicy: None` (there is no Secret \
            to merge into): `validatePolicies` in `apis/externalsecrets/v1/externalsecret_validator.go`, v2.9.0. \
            strata reports the pair before the apply is refused. The defaults are `Owner` and `Retain`.\n\n\
            Fix: use `creation-policy=\"Owner\"` (or `\"Orphan\"`) with `deletion-policy=\"Delete\"`, or keep \
            `deletion-policy=\"Retain\"`.",
    },
    CodeInfo {
        code: "strata::eso::no-keys",
        summary: "an external secret declares no keys",
        explanation: "ESO's webhook refuses an ExternalSecret with neither `data` nor `dataFrom` (\"either data or \
            dataFrom should be specified\", `externalsecret_validator.go`). strata emits one `data` entry per `key` \
            child, so an external secret needs at least one.\n\n\
            Fix: add `key \"name\" remote=\"path\"` children.",
    },
    CodeInfo {
        code: "strata::eso::duplicate-key",
        summary: "an external secret declares one Secret key twice",
        explanation: "Each key of the Secret comes from one remote reference. With the default \
            `deletionPolicy: Retain` ESO's webhook refuses duplicate `secretKey`s (`validateDuplicateKeys`); \
            with the other policies the later entry silently wins.\n\n\
            Fix: remove or rename one of them.",
    },
    CodeInfo {
        code: "strata::eso::key-name",
        summary: "a Secret key is not a valid Kubernetes Secret key",
        explanation: "Secret data keys are 1 to 253 characters of letters, digits, `-`, `_` and `.`, and not `.`, \
            `..` or starting with `..` (apimachinery `IsConfigMapKey`). The API server refuses the Secret ESO \
            writes, and the ExternalSecret stays in `SecretSyncedError`.\n\n\
            Fix: rename the key; the remote key may keep any name.",
    },
    CodeInfo {
        code: "strata::eso::name",
        summary: "a store, external secret or target Secret name is not a valid Kubernetes object name",
        explanation: "ExternalSecrets, their target Secrets and the stores are Kubernetes objects: their names \
            are DNS-1123 subdomains (lower-case letters, digits, `-` and `.`, at most 253 characters). The CRD's \
            pattern for `target.name` is the same rule.\n\n\
            Fix: rename it as the message suggests.",
    },
    CodeInfo {
        code: "strata::eso::duplicate",
        summary: "two external secrets of one name in one namespace",
        explanation: "An ExternalSecret is named once per namespace: the second declaration would replace the \
            first on apply.\n\n\
            Fix: rename one of them; `target=` keeps the Secret's name if it must stay.",
    },
    CodeInfo {
        code: "strata::eso::same-target",
        summary: "two external secrets write the same Secret in one namespace",
        explanation: "Two ExternalSecrets whose targets are one Secret fight over it: with creation-policy Owner \
            the second fails with \"target is owned by another ExternalSecret\" (`applyOwnership`, \
            `pkg/controllers/externalsecret/externalsecret_controller.go`, v2.9.0), otherwise each refresh \
            overwrites the other's keys.\n\n\
            Fix: give one of them another name or `target=`, or merge their keys into one external secret.",
    },
    CodeInfo {
        code: "strata::eso::undeclared-key",
        summary: "a workload reads a key of an external secret's Secret that it does not declare",
        explanation: "When a workload's `secret=\"...\"` reference (an env var, Airflow's `metadata-db` or \
            `fernet-key`, a SCRAM user's `password-secret`) names the Secret an `external-secret` of the same \
            namespace writes, strata knows which keys that Secret will hold: exactly the declared ones. A key \
            outside them is never there, and the pod fails with `CreateContainerConfigError` (a SCRAM user is \
            never ready). Keys left implicit count too: a `password-secret` without `password-key` reads \
            `password`.\n\n\
            Fix: declare the key (`key \"name\" remote=\"...\"`), or read a key the external secret declares.",
    },
    CodeInfo {
        code: "strata::eso::pull-secret",
        summary: "an image pull Secret comes from an external secret without the registry credential shape",
        explanation: "The kubelet reads registry credentials only from a Secret of type \
            `kubernetes.io/dockerconfigjson` holding the key `.dockerconfigjson`. An external secret used as a \
            `pull-secret` must declare both: `type=\"kubernetes.io/dockerconfigjson\"` (written as ESO's \
            `target.template.type`) and `key \".dockerconfigjson\" remote=\"...\"`. Otherwise the image pull fails \
            with an authentication error.\n\n\
            Fix: add the type and the key to the external secret.",
    },
    CodeInfo {
        code: "strata::eso::no-secret",
        summary: "a workload reads the Secret of an external secret whose creation policy writes none",
        explanation: "With `creation-policy=\"None\"` ESO writes no Secret (ESO `externalsecret_types.go`: \
            \"does not create a Secret\"), so a workload reading it depends on a Secret made some other way. A \
            warning.\n\n\
            Fix: use the default creation policy `Owner`, or make sure the Secret exists.",
    },
    CodeInfo {
        code: "strata::eso::target-taken",
        summary: "an external secret would write the Secret Strimzi's User Operator keeps for a Kafka user",
        explanation: "The User Operator keeps each KafkaUser's credentials in a Secret named after the user, in \
            the Kafka cluster's namespace, and sets itself as its controller. An ExternalSecret writing that \
            Secret either fails (creation-policy Owner: ESO's `SetControllerReference` refuses an object another \
            controller owns) or overwrites the credentials on every refresh.\n\n\
            Fix: give the external secret another `target=`.",
    },
    CodeInfo {
        code: "strata::eso::secret-quota",
        summary: "a tenant's external secrets make more Secrets or ExternalSecrets than its quota allows",
        explanation: "A tenant quota's `secrets` (and `count \"externalsecrets.external-secrets.io\"`) limit the \
            objects of the namespace, and the Secrets ESO writes count against it. The ones the spec's external \
            secrets make (creation-policy Owner, Orphan or CreateOrMerge; Merge and None write into a Secret \
            that exists anyway) must fit on their own, whatever else the namespace holds: the quota admission \
            plugin refuses the object over the limit, so an ExternalSecret is refused at apply, or ESO cannot \
            write its Secret and it stays in `SecretSyncedError`.\n\n\
            Fix: raise the quota, or merge keys into fewer external secrets.",
    },
    // Emitting manifests.
    // Cost.
    CodeInfo {
        code: "strata::cost::bad-price",
        summary: "a `pricing` price is not a decimal with at most 9 decimals",
        explanation: "`pricing` prices (cpu per core-hour, memory per GiB-hour, storage per GiB-month, gpu per \
            GPU-hour, spot-cpu, spot-memory) are decimal strings such as \"0.031611\". strata keeps them as exact \
            integer nano-units so a cost figure never drifts with floating-point rounding; a negative number, an \
            exponent or more than 9 decimals cannot be kept exactly.\n\n\
            Fix: write the price as a plain decimal string, e.g. `pricing cpu=\"0.031611\"`.",
    },
    CodeInfo {
        code: "strata::cost::budget",
        summary: "a tenant's `budget` is not a valid amount, is given twice, or is in another currency",
        explanation: "`budget monthly=\"1200\"` on a tenant is the most it should spend in an average month (730 \
            h), in the currency of the platform's `pricing`. The amount is a decimal string (or a whole number) \
            with at most 9 decimals and more than zero, so strata can compare it exactly with the cost model's \
            figure; a floating-point number, a currency sign or unit in the string, a negative amount or zero \
            is refused. A tenant has one `budget`. An optional `currency=` must name the pricing's currency: \
            strata does not convert currencies.\n\n\
            Fix: write the amount alone, e.g. `budget monthly=\"1200\"`, in the pricing's currency.",
    },
    CodeInfo {
        code: "strata::cost::budget-exceeded",
        summary: "a tenant's expected monthly spend is over its budget",
        explanation: "The cost model (`strata cost`, an average month of 730 h) prices every workload of the \
            tenant at its requests: always-on workloads for the whole month, autoscaled ones at their minimum, \
            scheduled jobs for their runs times `expected-runtime`. Their sum is over the tenant's `budget \
            monthly=...`, compared in whole cents. A workload whose monthly figure is unknown (a scheduled job \
            without `expected-runtime`, an ad hoc job, Airflow's task pods) is not counted and is named in a \
            note: the spend is then a lower bound, and already over. The message shows the arithmetic and \
            points at the three workloads that cost the most. Requests, not usage: the bill is at least this. \
            `strata cost` still prints the figures of a spec with this error, and `strata diff` reports a change \
            that causes it as `strata::diff::budget-exceeded`.\n\n\
            Fix: make the largest workloads cheaper (fewer or smaller pods, fewer runs, a shorter runtime), or \
            raise the budget to the amount the help names.",
    },
    CodeInfo {
        code: "strata::cost::budget-near",
        summary: "a tenant's expected monthly spend is above 90% of its budget",
        explanation: "The tenant's expected spend (see `strata::cost::budget-exceeded` for how it is computed) \
            fits its budget with less than 10% to spare, the same threshold as quota fit's \
            `strata::quota::near`: a rerun, a longer run or a second replica takes it over. The message shows \
            the arithmetic and the three workloads that cost the most.\n\n\
            Fix: raise the budget, or trim the workloads named.",
    },
    CodeInfo {
        code: "strata::cost::budget-unknown",
        summary: "a tenant has a budget, but none of its workloads' monthly figures is known",
        explanation: "Every workload of the tenant has an unknown monthly figure: scheduled jobs without \
            `expected-runtime`, ad hoc jobs (they cost per run, not per month), or Airflow's task pods (only \
            an upper bound is known). strata never invents a runtime, so there is nothing to compare the \
            budget with, and the note names each workload and why.\n\n\
            Fix: give the scheduled `job`s and `spark-job`s an `expected-runtime=\"...\"`; check the figures \
            with `strata cost --explain`.",
    },
    CodeInfo {
        code: "strata::cost::spot-unplaced",
        summary: "a job priced at spot prices has no node selector or toleration to put it on spot nodes",
        explanation: "`spot=#true` on a `job` or `spark-job` makes `strata cost` price its CPU and memory at the \
            spot prices, but only a node selector or toleration places pods on spot nodes, and each cloud \
            labels them its own way (`karpenter.sh/capacity-type: spot`, `cloud.google.com/gke-spot: \"true\"`, \
            `eks.amazonaws.com/capacityType: SPOT`). Without either, the scheduler may run the job on \
            on-demand nodes and the cost figure is too low.\n\n\
            Fix: add the `node-selector` (and `toleration`) of your spot nodes, or drop `spot`.",
    },
    CodeInfo {
        code: "strata::cost::budget-spend",
        summary: "a tenant's expected monthly spend against its budget (a note)",
        explanation: "Shown with `--explain` for every tenant with a budget that is neither near nor over it: \
            the expected spend, each workload's figure, the sum and the share of the budget, the same \
            arithmetic `strata::cost::budget-near` and `::budget-exceeded` show.\n\n\
            Nothing to fix; it is there to review the figures.",
    },
    CodeInfo {
        code: "strata::resolve::unresolved",
        summary: "an object passed every check but cannot be resolved for emitting",
        explanation: "After the checks pass, strata resolves the platform once (presets applied, references to \
            tenants, Kafka clusters and priority classes followed, pods sized) and emits manifests only from \
            that resolved form. An object that does not resolve would otherwise be left out of the output, and \
            `apply --prune` would then delete it from the cluster; strata stops instead and emits nothing. \
            Seeing this means a check that should have reported the problem did not: a bug in strata.\n\n\
            Fix: correct what the message names (a missing tenant, cluster or preset), and report the case so \
            the missing check can be added.",
    },
    CodeInfo {
        code: "strata::emit::duplicate-object",
        summary: "two parts of the spec produce the same Kubernetes object",
        explanation: "After emitting, strata checks that no two objects share API group, kind, namespace and name. \
            The per-domain checks catch most collisions by name, with a more specific message; this one \
            catches any that remain, such as two objects whose derived names coincide. Applied, one object \
            would silently overwrite the other.\n\n\
            Fix: rename one of the two labelled parts.",
    },
    // Writing `compile --out-dir`.
    CodeInfo {
        code: "strata::output::not_a_directory",
        summary: "the `--out-dir` path exists and is not a directory",
        explanation: "`strata compile --out-dir DIR` writes one file per object under DIR, replacing the directory \
            whole. A file at that path is not replaced.\n\n\
            Fix: choose another `--out-dir` path, or remove the file.",
    },
    CodeInfo {
        code: "strata::output::foreign_directory",
        summary: "the `--out-dir` directory is not empty and was not written by strata",
        explanation: "The output directory is replaced atomically on every compile (the new tree is built next to \
            it and swapped in), so files of objects that no longer exist disappear. To never delete files it \
            did not write, strata replaces only an empty directory, a new one, or one it wrote before, which \
            contains a `.strata-output` marker.\n\n\
            Fix: point `--out-dir` at an empty or new directory, or at strata's previous output.",
    },
    CodeInfo {
        code: "strata::output::io",
        summary: "writing the `--out-dir` directory failed",
        explanation: "Creating, writing or renaming a file or directory of the output failed; the message \
            carries the operating system's error. The previous output is left in place: a failed write never \
            leaves the directory half replaced.\n\n\
            Fix: check that the parent directory is writable and the disk has space.",
    },
    // Reading git revisions.
    CodeInfo {
        code: "strata::git::not-a-repository",
        summary: "`strata diff --base` outside a git repository",
        explanation: "`--base REV` and `--head REV` read the spec and its includes from git revisions, which needs \
            the current directory to be inside a git repository (`git rev-parse --show-toplevel`). The note \
            carries git's message.\n\n\
            Fix: run `strata diff` from inside the repository, or compare two files on disk with \
            `--base-spec PATH`.",
    },
    CodeInfo {
        code: "strata::git::unavailable",
        summary: "`git` cannot be run",
        explanation: "Reading revisions runs the `git` executable (`rev-parse`, `ls-tree`, `cat-file --batch`), \
            and starting it failed, usually because git is not installed or not on PATH.\n\n\
            Fix: install git and put it on PATH, or compare two files on disk with `--base-spec PATH`.",
    },
    CodeInfo {
        code: "strata::git::unknown-revision",
        summary: "a `--base` or `--head` revision git does not know",
        explanation: "The revision must name a commit that exists in the local repository: a branch, a tag or a \
            commit id. In CI the base branch is often missing from a shallow clone. A revision starting with \
            `-` is refused, so it cannot be taken for a git option.\n\n\
            Fix: fetch the base first (`git fetch origin main`, or `fetch-depth: 0` with actions/checkout), or \
            correct the name.",
    },
    // Applying to a cluster.
    CodeInfo {
        code: "strata::apply::wrong-context",
        summary: "the kube context in use is not the one the spec belongs to",
        explanation: "A spec names the kube context it is applied to (`cluster context=\"...\"` in `platform`), so \
            that a production spec is never applied to a staging cluster, or the other way round, because of \
            whichever context happens to be current. `apply`, `plan` and `drift` stop with exit 2 before \
            sending a request. Naming the context explicitly with `--context` is the deliberate override.\n\n\
            Fix: switch with `kubectl config use-context <context>`, or pass `--context <name>` to target \
            another cluster on purpose.",
    },
    // Change safety.
    CodeInfo {
        code: "strata::diff::topic-partitions-decreased",
        summary: "a KafkaTopic's partition count goes down",
        explanation: "Kafka cannot remove partitions. The Topic Operator refuses the change and leaves the topic \
            NotReady: `Ready=False`, reason `NotSupported`, \"Decreasing partitions not supported\" \
            (`BatchingTopicController`, Strimzi 1.2.0). An error: `strata diff` exits 4.\n\n\
            Fix: keep the partition count; to really have fewer partitions, create a new topic and migrate \
            producers and consumers to it.",
    },
    CodeInfo {
        code: "strata::diff::topic-removed",
        summary: "a KafkaTopic disappears",
        explanation: "When a KafkaTopic is deleted, the Topic Operator deletes the topic in Kafka, with all its \
            records and the consumers' offsets (its finalizer). `apply --prune` also refuses it without \
            `--allow-data-loss`. An error: `strata diff` exits 4.\n\n\
            Fix: if the topic is really retired, make sure nothing reads or writes it and say so in the \
            change; otherwise restore it.",
    },
    CodeInfo {
        code: "strata::diff::topic-renamed",
        summary: "a topic is renamed, or removed and re-added under the same Kafka name",
        explanation: "Kafka has no rename: changing `spec.topicName` is refused by the Topic Operator (\"Changing \
            spec.topicName is not supported\"), and a topic removed and another added for the same Kafka \
            topic name, or on the same spec line, is a delete (the data is gone) and a create. An error: \
            `strata diff` exits 4.\n\n\
            Fix: keep the old topic, create the new one next to it, and migrate clients before removing the \
            old one.",
    },
    CodeInfo {
        code: "strata::diff::tenant-removed",
        summary: "a tenant's Namespace disappears",
        explanation: "A removed tenant, or a tenant whose `namespace` changed, deletes its Namespace, and deleting \
            a namespace deletes everything in it, including what strata does not manage: volumes, Secrets, \
            running jobs. An error: `strata diff` exits 4.\n\n\
            Fix: if the tenant is really retired, back up its volumes and Secrets first and say so in the \
            change; to move a tenant, add the new namespace before removing the old one.",
    },
    CodeInfo {
        code: "strata::diff::quota-below-demand",
        summary: "a tenant's quota is lowered below what its workloads need at peak today",
        explanation: "A ResourceQuota limit is lowered (or a quota is added) below the tenant's peak demand in the \
            base revision, counted as quota fit counts it. Pods over the quota are refused: a restarted \
            executor, the next scheduled run or a Flink failover cannot start. An error: `strata diff` exits \
            4.\n\n\
            Fix: if the same change shrinks the workloads, apply that first and lower the quota in a later \
            change.",
    },
    CodeInfo {
        code: "strata::diff::topic-replicas-changed",
        summary: "a KafkaTopic's replication factor changes",
        explanation: "Strimzi changes a topic's replication factor only through Cruise Control (strimzi#2416, \
            \"Replication factor change not supported, but required for partitions ...\"); without it nothing \
            happens and the topic is NotReady. A warning, since whether Cruise Control runs is cluster \
            state.\n\n\
            Fix: make sure Cruise Control is deployed with the `Kafka` resource, or keep the replication \
            factor.",
    },
    CodeInfo {
        code: "strata::diff::topic-cleanup-policy-changed",
        summary: "a topic's `cleanup.policy` changes",
        explanation: "`compact` keeps only the latest value of each key and drops older ones; `delete` drops \
            records past retention, compacted history included. Switching either way removes data consumers \
            may rely on. Unset is Kafka's `delete`; `compact,delete` equals `delete,compact`. A warning.\n\n\
            Fix: confirm every consumer expects the new policy.",
    },
    CodeInfo {
        code: "strata::diff::topic-retention-reduced",
        summary: "a topic's `retention.ms` or `retention.bytes` goes down",
        explanation: "Older records are deleted at the next log cleanup, and lagging or replaying consumers lose \
            them. Unset is Kafka's default (7 days, unlimited bytes); `-1` is unlimited. A warning.\n\n\
            Fix: confirm no consumer needs the older records (check consumer lag first).",
    },
    CodeInfo {
        code: "strata::diff::flink-stateless-upgrade",
        summary: "a stateless Flink job's jar, version or image changes",
        explanation: "With `upgradeMode: stateless` (the operator's default) the operator upgrades a job by \
            restarting it without a savepoint: keyed state, windows and offsets kept in state are lost. The \
            rule fires when `spec.job.jarURI`, `spec.flinkVersion` or `spec.image` of a FlinkDeployment or \
            FlinkSessionJob changes in that mode. A warning.\n\n\
            Fix: if the job has state worth keeping, switch to `upgrade=\"savepoint\"` or `\"last-state\"` \
            (with checkpoints configured) before the upgrade.",
    },
    CodeInfo {
        code: "strata::diff::flink-upgrade-mode-changed",
        summary: "a Flink job's upgrade mode changes",
        explanation: "The upgrade mode decides what the next upgrade keeps: switching to `stateless` drops state at \
            the next upgrade; switching away from it relies on checkpoints and savepoints being configured and \
            reachable. A warning.\n\n\
            Fix: check the checkpoint and savepoint settings of the new mode before relying on it.",
    },
    CodeInfo {
        code: "strata::diff::flink-max-parallelism-changed",
        summary: "a Flink job's max parallelism (its key groups) changes",
        explanation: "`pipeline.max-parallelism` is the number of key groups a job's keyed state is stored in. Flink \
            restores a checkpoint or savepoint only into the same number when it is set explicitly: \"The maximum \
            parallelism (…) with which the latest checkpoint of the execution job vertex … has been taken and the \
            current maximum parallelism (…) changed. This is currently not supported.\" (apache/flink flink-runtime \
            `StateAssignmentOperation.checkParallelismPreconditions`; an unset max parallelism is adapted to the \
            restored one). An error when the new value is set and the upgrade mode restores state (`savepoint`, \
            `last-state`): the upgraded job cannot start. A warning when it becomes unset, or in `stateless` mode.\n\n\
            Fix: keep the old value; to change it, migrate the state offline (State Processor API) or start the job \
            without state in a deliberate change.",
    },
    CodeInfo {
        code: "strata::diff::flink-autoscaler-toggled",
        summary: "a Flink job's autoscaler is turned on or off",
        explanation: "Turned on, the operator rescales the job on its own (each decision restarts it from its latest \
            state, in place with the adaptive scheduler on Flink 1.18+), and quota fit counts the job at the \
            autoscaler's maximum. Turned off, the operator clears the autoscaler's state and parallelism overrides \
            (`JobAutoScalerImpl`): the job is redeployed at the spec's parallelism, whatever its load needs. A \
            warning.\n\n\
            Fix: roll the autoscaler out with `dry-run=#true` first; before turning it off, set `parallelism` to what \
            the job runs at.",
    },
    CodeInfo {
        code: "strata::diff::spark-max-executors",
        summary: "a Spark job's dynamic allocation maximum grows",
        explanation: "Quota fit counts a dynamically allocated job at `maxExecutors`. The finding shows the tenant's \
            peak against each quota limit before and after (`requests.cpu 41 → 401 of 480`), so a reviewer sees what \
            \"20 → 200 executors\" costs. Executors above the quota are refused as the driver requests them: the job \
            runs with fewer and slower, and the tenant's other jobs lose their headroom. A warning.\n\n\
            Fix: raise the tenant's quota in the same change if the job needs the executors.",
    },
    CodeInfo {
        code: "strata::diff::schedule-changed",
        summary: "a scheduled job's (Spark or batch) schedule or time zone changes",
        explanation: "When a ScheduledSparkApplication's or CronJob's `spec.schedule` or `spec.timeZone` changes, its runs \
            move (a CronJob's are shown in its zone and in UTC, on a winter and a summer day): around the switch a run can be skipped or happen twice, and downstream consumers must follow \
            the new times. A warning.\n\n\
            Fix: confirm the new times with the job's consumers.",
    },
    CodeInfo {
        code: "strata::diff::job-template-immutable",
        summary: "a Job's pod template (or completions) changes, which the API server refuses",
        explanation: "A Job's `spec.template` cannot change after it is created (`ValidateJobUpdate`: field is immutable), nor can `completions` outside elastic indexed Jobs. Applying the change fails with 422; the Job must be deleted and created again, which deletes its pods and their logs and runs it again. An error.\n\nFix: apply with `strata apply --recreate` once the rerun is intended, or give the changed job a new name.",
    },
    CodeInfo {
        code: "strata::diff::scheduled-job-removed",
        summary: "a scheduled job (CronJob) is removed",
        explanation: "Deleting a CronJob deletes the Jobs it keeps as history, with their pods and logs (the garbage collector follows their owner references), and stops a run in progress. A warning.\n\nFix: keep what you need from the last runs before merging, or suspend the job (`suspend=#true`) instead of removing it.",
    },
    CodeInfo {
        code: "strata::diff::unreadable-object",
        summary: "an operator object in one revision does not match strata's type for its CRD",
        explanation: "`strata diff` reads KafkaTopics, Spark applications, FlinkDeployments, FlinkSessionJobs \
            and JSON pod templates through typed definitions checked against the pinned CRDs. An object that \
            does not fit them (usually a hand-edited manifest, or one written by another tool: a string where \
            the CRD wants an integer, an unknown field) cannot be judged by the domain rules, so the change is \
            reported as it is, with the side and the field problem, instead of running the rules on a guess. A \
            removed KafkaTopic still gets its `topic-removed` error. A warning.\n\n\
            Fix: correct the object so it matches the CRD (the message names the field), or regenerate it with \
            `strata compile`.",
    },
    CodeInfo {
        code: "strata::diff::budget-exceeded",
        summary: "a change pushes a tenant over its budget",
        explanation: "In the head revision the tenant's expected monthly spend (the cost model's figure for an \
            average month, what `strata cost` prints and `strata check` compares with `budget monthly=...`) is over \
            its budget, and in the base it was not: the base was within the budget, had none, or had no such \
            tenant. The head fails `strata check` with `strata::cost::budget-exceeded`; `strata diff` still \
            compares it so the pull request shows the cost section and this error (exit 4). The finding names the \
            workloads whose cost grew most. A tenant over its budget on both sides is not reported here: the \
            change did not cause it.\n\n\
            Fix: make the growing workloads cheaper, or raise the tenant's budget in the same change to at least \
            the amount the help names.",
    },
    CodeInfo {
        code: "strata::diff::near-quota",
        summary: "a workload grows and its tenant is then above 90% of a quota limit",
        explanation: "A Spark driver or executors, a Flink JobManager or TaskManager, or an Airflow worker \
            template grows, and the tenant's peak demand in the head revision is above 90% of a quota limit \
            (the threshold of the compile's `strata::quota::near`). With under 10% headroom a retry, a second \
            concurrent run or another job's growth is refused pods. A warning; the finding names what \
            grew.\n\n\
            Fix: raise the quota in the same change, or trim the workload.",
    },
    CodeInfo {
        code: "strata::diff::app-max-lowered",
        summary: "a stream app's autoscaler maximum is lowered",
        explanation: "A KEDA ScaledObject's `maxReplicaCount` or an HPA's `maxReplicas` goes down. If the app \
            runs more replicas than the new maximum at peak, the autoscaler scales it down on apply and fewer \
            consumers serve the lag. strata cannot see today's replica count offline, so this is a warning with \
            both numbers.\n\n\
            Fix: check the app's peak replica count; lower the maximum in steps.",
    },
    CodeInfo {
        code: "strata::diff::replicas-handover",
        summary: "a stream app's fixed replica count is handed to an autoscaler: one replica until it scales",
        explanation: "An app that had `replicas N` now autoscales, so strata stops writing the Deployment's \
            `spec.replicas` (the autoscaler owns it). Server-side apply removes a field its only manager stops \
            sending, and the Deployment's default of 1 replica takes over: N-1 pods stop on apply and the app \
            runs on one consumer until the autoscaler's first scale-up. The Kubernetes documentation describes \
            this one-time drop (\"Migrating Deployments and StatefulSets to horizontal autoscaling\"). \
            `strata apply` avoids it: before the apply that stops writing the field, it applies the live \
            count as a second field manager, `strata-replicas-handover` (Kubernetes' recipe for transferring \
            a field's ownership), so the field stays owned and the count stays until the autoscaler's first \
            scale takes it. The warning is for output applied any other way, which a diff cannot see.\n\n\
            Fix: apply with `strata apply`; with another tool, let the autoscaler own the scale before the \
            change lands (`kubectl scale` to N, which makes the scale shared), or first apply the autoscaler \
            with `min` equal to N and lower it later.",
    },
    CodeInfo {
        code: "strata::diff::consumer-group-renamed",
        summary: "a stream app's consumer group is renamed: its offsets restart",
        explanation: "Kafka stores committed offsets per consumer group. A renamed group has none, so the app \
            starts where `auto.offset.reset` says: `earliest` re-reads every retained record (duplicates \
            downstream), `latest` skips what was produced since the old group's last commit (data loss). An \
            error.\n\n\
            Fix: keep the group name, or stop the app and copy the old group's offsets to the new group \
            (`kafka-consumer-groups.sh --reset-offsets --to-offset`) before the change.",
    },
    CodeInfo {
        code: "strata::diff::consumed-topic-removed",
        summary: "a stream app stops consuming a topic",
        explanation: "Records produced to the topic are no longer read by the app, and the group's committed \
            offsets for it expire after `offsets.retention.minutes` (7 days by default, KIP-186). A \
            warning.\n\n\
            Fix: make sure another consumer reads the topic, or that its data is no longer needed.",
    },
    CodeInfo {
        code: "strata::diff::alert-removed",
        summary: "an alert is removed from a PrometheusRule",
        explanation: "An alert of a tenant's `strata-alerts` PrometheusRule (told apart by its name and its \
            `subject` label) is in the base revision and not in head, or the whole PrometheusRule is removed. \
            Nothing reports the condition any more. A warning: it is expected when the job, consumer group or \
            topic it watched is removed too.\n\n\
            Fix: keep what the alert watched, or confirm the alert is no longer wanted.",
    },
    CodeInfo {
        code: "strata::diff::alert-loosened",
        summary: "an alert's threshold or `for` is loosened: it fires later",
        explanation: "The number an alert's expression compares against moves away from firing (it grows for \
            `>`, shrinks for `<`), or its `for` gets longer. strata derives both from the spec (a checkpoint \
            interval, a KEDA lag target times the maximum replicas, a topic's `min.insync.replicas`), so a \
            change in the spec loosens the alert without anyone editing it. A warning.\n\n\
            Fix: check that the new threshold is the one meant.",
    },
    CodeInfo {
        code: "strata::diff::monitor-unmatched",
        summary: "a PodMonitor no longer matches the pods strata emits: it scrapes nothing",
        explanation: "A PodMonitor that selected pods strata emits in the base revision selects none in head \
            (its `matchLabels` fit no pod of its namespaces), or the selected pods have no container port named \
            by its endpoint. The Prometheus Operator accepts such a monitor and Prometheus shows no target and \
            no error (prometheus-operator/prometheus-operator#3636 is the selector variant of the same silence): \
            the metrics stop and every alert on them goes silent. An error.\n\n\
            Fix: keep the monitor's selector and port name in step with the pods' labels and port names.",
    },
    CodeInfo {
        code: "strata::diff::external-secret-removed",
        summary: "removing an ExternalSecret with creation-policy Owner deletes its Secret",
        explanation: "With creation-policy Owner (ESO's default) the Secret carries an ownerReference to its \
            ExternalSecret, and the garbage collector deletes it with it. Running pods keep the values they \
            read; new and restarted pods fail to start. An error when an object of the head revision still reads \
            the Secret (a `secretKeyRef`, `imagePullSecrets`, KEDA's `secretTargetRef`), else a warning, since \
            something outside the spec may read it.\n\n\
            Fix: keep the external secret while anything reads its Secret, or switch it to creation-policy \
            Orphan in one change and remove it in a later one.",
    },
    CodeInfo {
        code: "strata::diff::external-secret-ownership",
        summary: "an ExternalSecret's creation policy moves to or from Owner",
        explanation: "ESO's `applyOwnership` (v2.9.0) sets itself as the Secret's controller under creation-policy \
            Owner and removes that reference otherwise, on the next sync. Moving to Owner makes a later removal \
            of the ExternalSecret delete the Secret (and fails if another controller owns it); moving away from \
            Owner leaves the Secret, credentials included, in the cluster after the ExternalSecret is gone. A \
            warning.\n\n\
            Fix: check that the new lifecycle is the one meant.",
    },
    CodeInfo {
        code: "strata::diff::external-secret-key-removed",
        summary: "an ExternalSecret stops declaring a key of its Secret",
        explanation: "ESO rewrites the Secret with the declared keys on its next refresh, so a dropped key \
            disappears. The spec's own workloads are checked at compile time (`strata::eso::undeclared-key`); \
            a pod strata does not know of that reads the key fails to start. A warning.\n\n\
            Fix: make sure nothing outside the spec reads the key.",
    },
    CodeInfo {
        code: "strata::diff::external-secret-store-changed",
        summary: "an ExternalSecret reads from another store",
        explanation: "Every key is fetched again from the new store: a remote key missing there stalls the \
            Secret (`SecretSyncedError`, with deletion-policy Delete the Secret goes), and one with another value \
            changes what every pod reading it gets. A warning.\n\n\
            Fix: check that the new store holds every remote key with the intended values.",
    },
];
