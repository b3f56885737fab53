package dev.pin.orchestrator.data;

import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Fills a task's inline examples from the files its {@code data} field names, so the Reward service
 * always receives inline data (any replica can serve a task handle without shared disks). Inline
 * examples already in the spec are replaced when {@code data} is set and kept when it is not;
 * {@code data} itself is left in place as the record of where they came from.
 */
public final class TaskDataLoader {
  private TaskDataLoader() {}

  /**
   * Reads the files a task names.
   *
   * @param task the task, usually after {@code RunDefaults}
   * @param base what relative data paths resolve against (the orchestrator's working directory)
   * @throws IllegalArgumentException when the data source does not fit the task, naming the field
   * @throws IOException when a file is missing or malformed ({@link DataFormatException})
   */
  public static TaskSpec load(TaskSpec task, Path base) throws IOException {
    return load(task, DataRoots.unrestricted(base));
  }

  /**
   * Reads the files a task names, only inside {@code roots} when they are set.
   *
   * @throws DataRoots.OutsideDataRootsException for a folder outside the roots (PERMISSION_DENIED)
   */
  public static TaskSpec load(TaskSpec task, DataRoots roots) throws IOException {
    switch (task.getTaskCase()) {
      case CLASSIFICATION -> {
        ClassificationTask c = task.getClassification();
        if (!c.hasData() || c.getData().getSourceCase() == DataSource.SourceCase.SOURCE_NOT_SET) {
          return task;
        }
        DataSource d = c.getData();
        if (d.getSourceCase() != DataSource.SourceCase.FEW_SHOT) {
          throw new IllegalArgumentException(
              "spec.task.classification.data: classification reads few_shot data, not "
                  + sourceName(d));
        }
        FewShotSplit split =
            FewShotLoader.load(
                DataDir.resolve(d.getFewShot().getDir(), roots),
                d.getFewShot().getSplitSeed(),
                c.getVerbalizersCount());
        return task.toBuilder().setClassification(split.fill(c)).build();
      }
      case STYLE_TRANSFER -> {
        StyleTransferTask s = task.getStyleTransfer();
        if (!s.hasData() || s.getData().getSourceCase() == DataSource.SourceCase.SOURCE_NOT_SET) {
          return task;
        }
        DataSource d = s.getData();
        if (d.getSourceCase() != DataSource.SourceCase.YELP_STYLE) {
          throw new IllegalArgumentException(
              "spec.task.style_transfer.data: style transfer reads yelp_style data, not "
                  + sourceName(d));
        }
        StyleData data =
            YelpStyleLoader.load(
                DataDir.resolve(d.getYelpStyle().getDir(), roots),
                d.getYelpStyle().getSourceStyle(),
                d.getYelpStyle().getMaxTrain(),
                d.getYelpStyle().getMaxTest());
        return task.toBuilder().setStyleTransfer(data.fill(s)).build();
      }
      case IMAGE_INVERSION -> {
        ImageInversionTask im = task.getImageInversion();
        if (!im.hasData() || im.getData().getSourceCase() == DataSource.SourceCase.SOURCE_NOT_SET) {
          return task;
        }
        DataSource d = im.getData();
        if (d.getSourceCase() != DataSource.SourceCase.IMAGE_FOLDER) {
          throw new IllegalArgumentException(
              "spec.task.image_inversion.data: image inversion reads an image_folder, not "
                  + sourceName(d));
        }
        String spelled = d.getImageFolder().getDir();
        Path dir;
        try {
          dir = roots.confined() ? roots.resolve(spelled)
              : roots.base().resolve(spelled).normalize();
        } catch (java.nio.file.InvalidPathException e) { // e.g. a NUL character: the caller's
          throw new DataFormatException(spelled, 0, "is not a valid path (" + e.getReason() + ")");
        }
        return task.toBuilder()
            .setImageInversion(
                im.toBuilder()
                    .clearTargets()
                    .addAllTargets(ImageFolderLoader.load(dir, d.getImageFolder().getMaxImages(),
                        roots.confined() ? roots : null, spelled)))
            .build();
      }
      default -> {
        return task;
      }
    }
  }

  /** The data folder's field path, e.g. {@code task.classification.data.few_shot.dir}. */
  public static String dirField(TaskSpec task) {
    return switch (task.getTaskCase()) {
      case CLASSIFICATION -> "task.classification.data."
          + sourceName(task.getClassification().getData()) + ".dir";
      case STYLE_TRANSFER -> "task.style_transfer.data."
          + sourceName(task.getStyleTransfer().getData()) + ".dir";
      case IMAGE_INVERSION -> "task.image_inversion.data."
          + sourceName(task.getImageInversion().getData()) + ".dir";
      default -> "task";
    };
  }

  /** The {@code pin data check} command for the task's data folder; null for none. */
  public static String checkCommand(TaskSpec task) {
    return switch (task.getTaskCase()) {
      case CLASSIFICATION -> "pin data check few-shot "
          + task.getClassification().getData().getFewShot().getDir();
      case STYLE_TRANSFER -> "pin data check style-transfer "
          + task.getStyleTransfer().getData().getYelpStyle().getDir();
      default -> null;
    };
  }

  private static String sourceName(DataSource d) {
    return switch (d.getSourceCase()) {
      case FEW_SHOT -> "few_shot";
      case YELP_STYLE -> "yelp_style";
      case IMAGE_FOLDER -> "image_folder";
      default -> "nothing";
    };
  }
}
