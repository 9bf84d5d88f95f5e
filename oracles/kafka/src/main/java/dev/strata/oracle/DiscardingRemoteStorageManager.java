package dev.strata.oracle;

import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * A remote tier that stores nothing. The oracle's brokers only validate topic configs and never write
 * records, but Kafka accepts `remote.storage.enable=true` only on brokers with tiered storage switched on
 * (`remote.log.storage.system.enable`), which needs some RemoteStorageManager class to load.
 */
public final class DiscardingRemoteStorageManager implements RemoteStorageManager {
  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public Optional<RemoteLogSegmentMetadata.CustomMetadata> copyLogSegmentData(
      RemoteLogSegmentMetadata metadata, LogSegmentData data) {
    return Optional.empty();
  }

  @Override
  public InputStream fetchLogSegment(RemoteLogSegmentMetadata metadata, int start)
      throws RemoteStorageException {
    throw new RemoteStorageException("the oracle's remote tier holds no data");
  }

  @Override
  public InputStream fetchLogSegment(RemoteLogSegmentMetadata metadata, int start, int end)
      throws RemoteStorageException {
    throw new RemoteStorageException("the oracle's remote tier holds no data");
  }

  @Override
  public InputStream fetchIndex(RemoteLogSegmentMetadata metadata, IndexType type)
      throws RemoteStorageException {
    throw new RemoteStorageException("the oracle's remote tier holds no data");
  }

  @Override
  public void deleteLogSegmentData(RemoteLogSegmentMetadata metadata) {}

  @Override
  public void close() {}
}
