package dev.pin.models.importer;

import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How every importer installs a model: it is written into a staging folder under the store's
 * home and then replaces {@code store.dir(name)} in one atomic rename, so that a failed or
 * interrupted import never leaves a half-written model under its name.
 */
final class StagedImport {

  /** Writes a model's files into the (existing, empty) staging folder. */
  interface Writer {
    void write(Path staging) throws IOException;
  }

  private StagedImport() {}

  /**
   * Runs {@code writer} on a fresh staging folder, then moves it to model {@code name}, replacing
   * any older copy; the staging folder is gone afterwards whatever happened.
   */
  static ModelDir install(ModelStore store, String name, ImportProgress progress, Writer writer)
      throws IOException {
    Files.createDirectories(store.home());
    Path staging = store.home().resolve(".import-" + name + "-" + ProcessHandle.current().pid());
    EasyBertImporter.deleteRecursively(staging);
    Files.createDirectories(staging);
    try {
      writer.write(staging);
      Path target = store.dir(name);
      EasyBertImporter.deleteRecursively(target);
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      progress.stage("imported " + name + " into " + target);
      return ModelDir.open(target);
    } finally {
      EasyBertImporter.deleteRecursively(staging);
    }
  }

  /** The provenance of a HuggingFace safetensors checkpoint converted by {@code converter}. */
  static Map<String, String> safetensorsProvenance(Path source, Path file, Class<?> converter)
      throws IOException {
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("kind", "huggingface-safetensors");
    provenance.put("path", source.toAbsolutePath().toString());
    provenance.put("safetensors_sha256", MavenArtifacts.digest(file, "SHA-256"));
    provenance.put("converted_by", converter.getName());
    provenance.put("imported_at", Instant.now().toString());
    return provenance;
  }
}
