package dev.pin.cli;

import dev.pin.v1.ModelRef;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.RegisterRunTaskRequest;
import dev.pin.v1.ReportAsset;
import dev.pin.v1.ReportRequest;
import dev.pin.v1.ReportResponse;
import dev.pin.v1.Run;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pin report RUN_ID…}: reads the runs from the orchestrator's run store and has the Scorer's
 * Report RPC render them (prompts with task scores and readability side by side, training curves
 * as PNG), then writes the document and its assets into a folder.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Write a report of runs: each run's best prompts with their dev/test scores and "
        + "readability (perplexity, dictionary words, prior top-k share, repetition) side by side, "
        + "and its training curves as PNG. Reads the runs from the orchestrator and renders them "
        + "with the scorer's Report RPC.")
final class ReportCommand implements Callable<Integer> {
  /** Output formats. */
  enum Format { md, html }

  @Parameters(arity = "1..*", paramLabel = "RUN_ID", description = "Runs to report on.")
  List<String> runIds;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Folder for the report and its PNG files (created if missing).")
  Path out;

  @Option(names = "--format", defaultValue = "md",
      description = "md or html (default: ${DEFAULT-VALUE}).")
  Format format;

  @Option(names = "--title", defaultValue = "Prompt report", description = "Report title.")
  String title;

  @Option(names = "--model", paramLabel = "NAME",
      description = "The LM of the readability columns (default: the scorer's model).")
  String model;

  @Mixin
  EnsembleConnection connection;

  @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
      description = "Deadline of each call (default: ${DEFAULT-VALUE}).")
  long timeout;

  @Override
  public Integer call() {
    return connection.run("report", out, (orchestrator, scorer) -> {
      ReportRequest.Builder request = ReportRequest.newBuilder().setTitle(title);
      if (model != null) {
        request.setModel(ModelRef.newBuilder().setName(model));
      }
      for (String id : runIds) {
        Run run = EnsembleClients.get(orchestrator.withDeadlineAfter(timeout, TimeUnit.SECONDS),
            id);
        request.addRuns(EnsembleClients.reportRun(run,
            EnsembleClients.history(orchestrator, id, timeout), taskHandle(orchestrator, run)));
      }
      ReportResponse report =
          scorer.withDeadlineAfter(timeout, TimeUnit.SECONDS).report(request.build());
      Path file = write(report, out, format);
      System.out.println("report: " + file.toAbsolutePath());
      for (ReportAsset a : report.getAssetsList()) {
        System.out.println("  " + out.resolve(a.getName()).toAbsolutePath());
      }
      return 0;
    });
  }

  /**
   * The run's task handle, its task registered again first: a Reward service that restarted
   * since the run has forgotten it, and the scorer measures the round trip and R(text) − R(ids)
   * on it. When the run's data can no longer be read, the stored handle, and the report says
   * what it could not measure.
   */
  private String taskHandle(OrchestratorGrpc.OrchestratorBlockingStub orchestrator, Run run) {
    try {
      return orchestrator.withDeadlineAfter(timeout, TimeUnit.SECONDS).registerRunTask(
          RegisterRunTaskRequest.newBuilder().setRunId(run.getId()).build()).getTaskHandle();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
        throw e;
      }
      return run.getProvenanceOrDefault("task_handle", "");
    }
  }

  /** Writes {@code report.md} or {@code report.html} and every asset; returns the document. */
  static Path write(ReportResponse report, Path dir, Format format) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("report." + format.name());
    Files.writeString(file, format == Format.md ? report.getMarkdown() : report.getHtml(),
        StandardCharsets.UTF_8);
    for (ReportAsset a : report.getAssetsList()) {
      Path asset = dir.resolve(a.getName()).normalize();
      if (!asset.getParent().equals(dir.normalize())) {
        throw new IOException("asset name " + a.getName() + " leaves the output folder");
      }
      Files.write(asset, a.getData().toByteArray());
    }
    return file;
  }
}
