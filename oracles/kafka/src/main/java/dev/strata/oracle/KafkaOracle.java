package dev.strata.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * Judges strata's Strimzi objects with a real Kafka cluster: BROKERS KRaft brokers (the first combined
 * with the one controller) in this JVM, on loopback, with Kafka's StandardAuthorizer.
 *
 * <p>Input (argument 2): a JSON array of Kubernetes objects. KafkaTopics are sent to the brokers as
 * {@code createTopics(validateOnly=true)} with the partitions, replicas and configs the Topic Operator
 * would send; KafkaUsers' ACL rules are created for real, translated the way Strimzi's User Operator
 * translates them (principal {@code User:CN=<name>} for TLS users, {@code User:<name>} for SCRAM), and
 * read back with {@code describeAcls}. Output (stdout): one JSON array with a verdict per object.
 * Everything else goes to stderr.
 *
 * <p>{@code session BROKERS}: the same cluster kept running for an end-to-end test, which plays the
 * Topic and User Operators' part. Prints {@code READY} on stdout once the brokers are up, then answers
 * one JSON request per stdin line with one JSON line, until stdin closes: {@code {"op":"reconcile",
 * "object":{...}}} creates a KafkaTopic's topic for real (or a KafkaUser's ACLs), {@code
 * {"op":"describe-topic","topic":T}} gives its partitions, each partition's replica count and the
 * configs set on the topic (describeTopics, describeConfigs), {@code {"op":"describe-acls",
 * "principal":P}} the principal's ACLs, {@code {"op":"delete-topic","topic":T}} deletes it, and {@code
 * {"op":"list-topics"}} names every topic.
 */
public final class KafkaOracle {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    boolean session = args.length == 2 && args[0].equals("session") && args[1].matches("[1-9]");
    if (!session && (args.length != 2 || !args[0].matches("[1-9]"))) {
      System.err.println(
          "usage: KafkaOracle BROKERS OBJECTS.json | KafkaOracle session BROKERS   (BROKERS: 1 to 9)");
      System.exit(2);
    }
    int brokers = Integer.parseInt(session ? args[1] : args[0]);
    JsonNode objects = session ? JSON.createArrayNode() : JSON.readTree(new File(args[1]));
    if (!objects.isArray()) {
      System.err.println("KafkaOracle: the input must be a JSON array of Kubernetes objects");
      System.exit(2);
    }
    // Kafka's own classes print to stdout in places; keep stdout for the verdicts alone.
    PrintStream out = System.out;
    System.setOut(System.err);

    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(brokers)
            .setNumControllerNodes(1)
            .build();
    try (KafkaClusterTestKit cluster =
        new KafkaClusterTestKit.Builder(nodes)
            .setConfigProp(
                "authorizer.class.name",
                "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
            // The oracle's own admin client connects unauthenticated over PLAINTEXT.
            .setConfigProp("super.users", "User:ANONYMOUS")
            // Tiered storage on, so topics with remote.storage.enable=true are judged by the rest of
            // LogConfig's rules instead of refused outright.
            .setConfigProp("remote.log.storage.system.enable", "true")
            .setConfigProp(
                "remote.log.storage.manager.class.name",
                DiscardingRemoteStorageManager.class.getName())
            .setConfigProp("remote.log.metadata.manager.listener.name", "EXTERNAL")
            .build()) {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      try (Admin admin = Admin.create(cluster.clientProperties())) {
        if (session) {
          serve(admin, out);
          return;
        }
        ArrayNode verdicts = JSON.createArrayNode();
        for (JsonNode object : objects) {
          String kind = object.path("kind").asText();
          if (kind.equals("KafkaTopic")) {
            verdicts.add(topic(admin, object));
          } else if (kind.equals("KafkaUser")) {
            verdicts.add(user(admin, object));
          }
        }
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(verdicts));
        out.flush();
      }
    }
  }

  private static ObjectNode verdict(JsonNode object) {
    ObjectNode v = JSON.createObjectNode();
    v.put("kind", object.path("kind").asText());
    v.put("namespace", object.path("metadata").path("namespace").asText());
    v.put("name", object.path("metadata").path("name").asText());
    return v;
  }

  private static String message(Throwable e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }

  /** The string the Topic Operator sends for a config value: lists joined by commas, scalars as text. */
  private static String configValue(JsonNode value) {
    if (value.isArray()) {
      List<String> parts = new ArrayList<>();
      value.forEach(item -> parts.add(item.asText()));
      return String.join(",", parts);
    }
    return value.asText();
  }

  /** The session: one request per stdin line, one answer per stdout line. */
  private static void serve(Admin admin, PrintStream out) throws Exception {
    out.println("READY");
    out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.isBlank()) {
        continue;
      }
      ObjectNode answer;
      try {
        answer = request(admin, JSON.readTree(line));
      } catch (Exception e) {
        answer = JSON.createObjectNode();
        answer.put("ok", false);
        answer.put("error", message(e));
      }
      out.println(JSON.writeValueAsString(answer));
      out.flush();
    }
  }

  private static ObjectNode request(Admin admin, JsonNode req) throws Exception {
    String topic = req.path("topic").asText();
    ObjectNode a = JSON.createObjectNode();
    switch (req.path("op").asText()) {
      case "reconcile" -> {
        JsonNode object = req.path("object");
        return switch (object.path("kind").asText()) {
          case "KafkaTopic" -> topic(admin, object, false);
          case "KafkaUser" -> user(admin, object);
          default -> throw new IllegalArgumentException("not a KafkaTopic or KafkaUser");
        };
      }
      case "describe-topic" -> {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        a.put("partitions", d.partitions().size());
        ArrayNode replicas = a.putArray("replicas");
        d.partitions().forEach(p -> replicas.add(p.replicas().size()));
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(r)).all().get().get(r);
        Map<String, String> set = new TreeMap<>();
        for (ConfigEntry e : config.entries()) {
          if (e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) {
            set.put(e.name(), e.value());
          }
        }
        ObjectNode configs = a.putObject("configs");
        set.forEach(configs::put);
      }
      case "describe-acls" -> {
        AclBindingFilter mine =
            new AclBindingFilter(
                ResourcePatternFilter.ANY,
                new AccessControlEntryFilter(
                    req.path("principal").asText(), null, AclOperation.ANY, AclPermissionType.ANY));
        Set<String> acls = new TreeSet<>();
        for (AclBinding b : admin.describeAcls(mine).values().get()) {
          acls.add(
              String.join(
                  " ",
                  b.entry().permissionType().toString(),
                  b.entry().operation().toString(),
                  b.pattern().resourceType().toString(),
                  b.pattern().patternType().toString(),
                  b.pattern().name(),
                  "host=" + b.entry().host()));
        }
        ArrayNode list = a.putArray("acls");
        acls.forEach(list::add);
      }
      case "delete-topic" -> {
        admin.deleteTopics(List.of(topic)).all().get();
        awaitListing(admin, topic, false);
      }
      case "list-topics" -> {
        ArrayNode list = a.putArray("topics");
        new TreeSet<>(admin.listTopics().names().get()).forEach(list::add);
      }
      default -> throw new IllegalArgumentException("unknown op " + req.path("op"));
    }
    a.put("ok", true);
    return a;
  }

  private static ObjectNode topic(Admin admin, JsonNode object) {
    return topic(admin, object, true);
  }

  private static ObjectNode topic(Admin admin, JsonNode object, boolean validateOnly) {
    ObjectNode v = verdict(object);
    JsonNode spec = object.path("spec");
    String name =
        spec.hasNonNull("topicName")
            ? spec.get("topicName").asText()
            : object.path("metadata").path("name").asText();
    Optional<Integer> partitions =
        spec.hasNonNull("partitions") ? Optional.of(spec.get("partitions").asInt()) : Optional.empty();
    Optional<Short> replicas =
        spec.hasNonNull("replicas")
            ? Optional.of((short) spec.get("replicas").asInt())
            : Optional.empty();
    Map<String, String> configs = new HashMap<>();
    spec.path("config").fields().forEachRemaining(e -> configs.put(e.getKey(), configValue(e.getValue())));
    v.put("topic", name);
    try {
      admin
          .createTopics(
              List.of(new NewTopic(name, partitions, replicas).configs(configs)),
              new CreateTopicsOptions().validateOnly(validateOnly))
          .all()
          .get();
      if (!validateOnly) {
        awaitListing(admin, name, true);
      }
      v.put("ok", true);
    } catch (Exception e) {
      v.put("ok", false);
      v.put("error", message(e));
    }
    return v;
  }

  /**
   * Waits until listTopics agrees that the topic was created or deleted. Admin's createTopics and
   * deleteTopics complete once the controller has committed the change, and their Javadoc warns that
   * "it may take several seconds" for every broker to learn it, while listTopics keeps answering from
   * the broker it happens to ask. Several agreeing answers in a row stand for "every broker knows".
   */
  private static void awaitListing(Admin admin, String topic, boolean present) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    int agreeing = 0;
    while (agreeing < 5) {
      boolean listed = admin.listTopics().names().get().contains(topic);
      agreeing = listed == present ? agreeing + 1 : 0;
      if (agreeing == 0 && System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "topic " + topic + (present ? " is still not listed" : " is still listed") + " after 30 s");
      }
      Thread.sleep(50);
    }
  }

  private static ObjectNode user(Admin admin, JsonNode object) {
    ObjectNode v = verdict(object);
    JsonNode spec = object.path("spec");
    String name = object.path("metadata").path("name").asText();
    String auth = spec.path("authentication").path("type").asText();
    // Strimzi's KafkaUserModel: TLS users are known by their certificate's subject, SCRAM users by name.
    String principal = auth.startsWith("tls") ? "User:CN=" + name : "User:" + name;
    v.put("principal", principal);
    JsonNode acls = spec.path("authorization").path("acls");
    List<AclBinding> wanted = new ArrayList<>();
    try {
      for (JsonNode rule : acls) {
        wanted.addAll(bindings(principal, rule));
      }
    } catch (IllegalArgumentException e) {
      v.put("ok", false);
      v.put("error", "not translatable to Kafka ACLs: " + e.getMessage());
      return v;
    }
    v.put("acls", wanted.size());
    if (wanted.isEmpty()) {
      v.put("ok", true);
      return v;
    }
    try {
      admin.createAcls(wanted).all().get();
      AclBindingFilter mine =
          new AclBindingFilter(
              ResourcePatternFilter.ANY,
              new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY));
      Set<AclBinding> expected = new HashSet<>(wanted);
      // The controller commits the ACLs; each broker's authorizer learns them from the metadata log a
      // moment later, so read back until they arrive (or the deadline says they never will).
      Set<AclBinding> described = Set.of();
      long deadline = System.nanoTime() + 20_000_000_000L;
      do {
        described = new HashSet<>(admin.describeAcls(mine).values().get());
        if (described.equals(expected)) {
          break;
        }
        Thread.sleep(200);
      } while (System.nanoTime() < deadline);
      if (described.equals(expected)) {
        v.put("ok", true);
      } else {
        Set<AclBinding> missing = new HashSet<>(expected);
        missing.removeAll(described);
        Set<AclBinding> extra = new HashSet<>(described);
        extra.removeAll(expected);
        v.put("ok", false);
        v.put("error", "describeAcls differs: missing " + missing + ", unexpected " + extra);
      }
    } catch (Exception e) {
      v.put("ok", false);
      v.put("error", message(e));
    }
    return v;
  }

  /** One Strimzi `AclRule` as Kafka ACL bindings, one per operation (Strimzi's SimpleAclRule). */
  private static List<AclBinding> bindings(String principal, JsonNode rule) {
    JsonNode resource = rule.path("resource");
    ResourceType type =
        switch (resource.path("type").asText()) {
          case "topic" -> ResourceType.TOPIC;
          case "group" -> ResourceType.GROUP;
          case "cluster" -> ResourceType.CLUSTER;
          case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
          default -> throw new IllegalArgumentException("resource type " + resource.path("type"));
        };
    String resourceName = type == ResourceType.CLUSTER ? "kafka-cluster" : resource.path("name").asText();
    PatternType pattern =
        switch (resource.path("patternType").asText("literal")) {
          case "literal" -> PatternType.LITERAL;
          case "prefix" -> PatternType.PREFIXED;
          default -> throw new IllegalArgumentException("pattern type " + resource.path("patternType"));
        };
    AclPermissionType permission =
        switch (rule.path("type").asText("allow")) {
          case "allow" -> AclPermissionType.ALLOW;
          case "deny" -> AclPermissionType.DENY;
          default -> throw new IllegalArgumentException("rule type " + rule.path("type"));
        };
    String host = rule.path("host").asText("*");
    List<String> operations = new ArrayList<>();
    rule.path("operations").forEach(op -> operations.add(op.asText()));
    if (rule.hasNonNull("operation")) {
      operations.add(rule.get("operation").asText());
    }
    List<AclBinding> out = new ArrayList<>();
    for (String op : operations) {
      out.add(
          new AclBinding(
              new ResourcePattern(type, resourceName, pattern),
              new AccessControlEntry(principal, host, operation(op), permission)));
    }
    return out;
  }

  private static AclOperation operation(String strimzi) {
    return switch (strimzi) {
      case "Read" -> AclOperation.READ;
      case "Write" -> AclOperation.WRITE;
      case "Create" -> AclOperation.CREATE;
      case "Delete" -> AclOperation.DELETE;
      case "Alter" -> AclOperation.ALTER;
      case "Describe" -> AclOperation.DESCRIBE;
      case "ClusterAction" -> AclOperation.CLUSTER_ACTION;
      case "AlterConfigs" -> AclOperation.ALTER_CONFIGS;
      case "DescribeConfigs" -> AclOperation.DESCRIBE_CONFIGS;
      case "IdempotentWrite" -> AclOperation.IDEMPOTENT_WRITE;
      case "All" -> AclOperation.ALL;
      default -> throw new IllegalArgumentException("operation " + strimzi);
    };
  }
}
