import dev.pin.kit.client.Channels;
import dev.pin.kit.config.ClientSettings;
import dev.pin.kit.config.Config;
import dev.pin.v1.DescribeTaskRequest;
import dev.pin.v1.RewardGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Deployment check, not part of the application (deploy/ci/compose-test.sh compiles it against the
 * orchestrator's jars and runs it in a container made from the orchestrator service): reads the
 * configuration exactly as the orchestrator does (its PIN_* environment), opens the reward
 * channel with the production {@link Channels#open} (dns:/// + round_robin), and makes N
 * DescribeTask calls with an unknown handle. Every call must end with a status (NOT_FOUND today);
 * compose-test.sh then asks Prometheus whether every reward replica served some of them.
 *
 * <p>Usage: {@code java -cp app.jar:lib/*:DIR RoundRobinCheck N}
 */
public final class RoundRobinCheck {
  public static void main(String[] args) {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    Config config = Config.load(List.of(), System.getenv());
    ClientSettings reward = ClientSettings.read(config, "orchestrator", "reward");
    System.out.println("reward address: " + reward.address());
    ManagedChannel channel = Channels.open(reward, new SimpleMeterRegistry());
    Map<String, Integer> statuses = new TreeMap<>();
    try {
      RewardGrpc.RewardBlockingStub stub = RewardGrpc.newBlockingStub(channel);
      for (int i = 0; i < calls; i++) {
        String status;
        try {
          stub.describeTask(DescribeTaskRequest.newBuilder().setHandle("round-robin-check").build());
          status = "OK";
        } catch (StatusRuntimeException e) {
          status = e.getStatus().getCode().name();
        }
        statuses.merge(status, 1, Integer::sum);
      }
    } finally {
      Channels.close(channel);
    }
    System.out.println(calls + " DescribeTask calls: " + statuses);
    // UNAVAILABLE or DEADLINE_EXCEEDED mean the replicas were not reached.
    System.exit(statuses.keySet().stream()
        .anyMatch(s -> s.equals("UNAVAILABLE") || s.equals("DEADLINE_EXCEEDED")) ? 1 : 0);
  }
}
