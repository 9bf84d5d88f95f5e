package dev.strata.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.PrintStream;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.spec.FlinkVersion;
import org.apache.flink.kubernetes.operator.config.FlinkConfigManager;
import org.apache.flink.kubernetes.operator.utils.ValidatorUtils;
import org.apache.flink.kubernetes.operator.validation.FlinkResourceValidator;

/**
 * Judges strata's FlinkDeployments with the Flink Kubernetes Operator's own admission rules.
 *
 * <p>Input (argument 1): a JSON array of Kubernetes objects. Each FlinkDeployment is read with fabric8's
 * serialization into the operator's {@link FlinkDeployment} class (as the operator reads it from the API
 * server), then judged by every validator the operator itself builds ({@link
 * ValidatorUtils#discoverValidators}: the DefaultValidator, which in this release also bounds the
 * autoscaler options, plus any plugin validators) and by the supported-version check the reconciler runs
 * before anything else ({@code ValidatorUtils.validateSupportedVersion}, which only needs {@link
 * FlinkVersion#isSupported}). Output (stdout): one JSON array with a verdict per object: {@code ok}, and
 * the operator's error text when it refuses. Everything else goes to stderr.
 */
public final class FlinkOracle {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: FlinkOracle OBJECTS.json");
      System.exit(2);
    }
    JsonNode objects = JSON.readTree(new File(args[0]));
    if (!objects.isArray()) {
      System.err.println("FlinkOracle: the input must be a JSON array of Kubernetes objects");
      System.exit(2);
    }
    PrintStream out = System.out;
    System.setOut(System.err);

    // The operator's built-in defaults, as DefaultValidatorTest builds it: no operator-wide configuration.
    FlinkConfigManager configManager = new FlinkConfigManager(new Configuration());
    Set<FlinkResourceValidator> validators = ValidatorUtils.discoverValidators(configManager);

    ArrayNode verdicts = JSON.createArrayNode();
    for (JsonNode object : objects) {
      ObjectNode v = JSON.createObjectNode();
      v.put("kind", object.path("kind").asText());
      v.put("namespace", object.path("metadata").path("namespace").asText());
      v.put("name", object.path("metadata").path("name").asText());
      if (!"FlinkDeployment".equals(object.path("kind").asText())) {
        v.put("ok", false);
        v.put("error", "not a FlinkDeployment");
        verdicts.add(v);
        continue;
      }
      Optional<String> error;
      try {
        error = judge(Serialization.unmarshal(JSON.writeValueAsString(object), FlinkDeployment.class),
            validators);
      } catch (RuntimeException e) {
        error = Optional.of("the operator cannot read this object: " + e);
      }
      v.put("ok", error.isEmpty());
      error.ifPresent(e -> v.put("error", e));
      verdicts.add(v);
    }
    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(verdicts));
    out.flush();
    // FlinkConfigManager starts a non-daemon executor (its config-refresh cache) that never ends.
    System.exit(0);
  }

  private static Optional<String> judge(
      FlinkDeployment deployment, Set<FlinkResourceValidator> validators) {
    for (FlinkResourceValidator validator : validators) {
      Optional<String> error = validator.validateDeployment(deployment);
      if (error.isPresent()) {
        return error;
      }
    }
    // The reconciler's first step (ValidatorUtils.validateSupportedVersion); its event text.
    FlinkVersion version = deployment.getSpec().getFlinkVersion();
    if (!FlinkVersion.isSupported(version)) {
      return Optional.of("Flink version " + version + " is not supported by this operator version");
    }
    return Optional.empty();
  }
}
