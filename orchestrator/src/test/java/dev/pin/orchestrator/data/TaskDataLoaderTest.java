package dev.pin.orchestrator.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.FewShotData;
import dev.pin.v1.ImageFolder;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.YelpStyleData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskDataLoaderTest {
  @TempDir Path tmp;

  @Test
  void fillsClassificationFromRelativePaths() throws IOException {
    Path shared = SharedData.root();
    TaskSpec task =
        TaskSpec.newBuilder()
            .setClassification(
                ClassificationTask.newBuilder()
                    .addVerbalizers("terrible")
                    .addVerbalizers("great")
                    .addTrain(LabeledText.newBuilder().setText("replaced").setLabel(0))
                    .setData(
                        DataSource.newBuilder()
                            .setFewShot(
                                FewShotData.newBuilder()
                                    .setDir("few-shot/sst-2")
                                    .setSplitSeed(13))))
            .build();
    ClassificationTask c = TaskDataLoader.load(task, shared).getClassification();
    assertEquals(32, c.getTrainCount());
    assertEquals(32, c.getDevCount());
    assertEquals(1821, c.getTestCount());
    assertTrue(c.getTrainList().stream().noneMatch(x -> x.getText().equals("replaced")));
    assertEquals("few-shot/sst-2", c.getData().getFewShot().getDir());
  }

  @Test
  void fillsStyleTransfer() throws IOException {
    TaskSpec task =
        TaskSpec.newBuilder()
            .setStyleTransfer(
                StyleTransferTask.newBuilder()
                    .setData(
                        DataSource.newBuilder()
                            .setYelpStyle(
                                YelpStyleData.newBuilder()
                                    .setDir("style-transfer/yelp")
                                    .setSourceStyle(1)
                                    .setMaxTrain(64)
                                    .setMaxTest(20))))
            .build();
    StyleTransferTask s = TaskDataLoader.load(task, SharedData.root()).getStyleTransfer();
    assertEquals(64, s.getTrainCount());
    assertEquals(100, s.getDevCount());
    assertEquals(20, s.getTestCount());
    assertEquals(1, s.getTest(0).getReferencesCount());
  }

  @Test
  void fillsImageTargets() throws IOException {
    ImageIO.write(
        new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB), "png", tmp.resolve("t.png").toFile());
    TaskSpec task =
        TaskSpec.newBuilder()
            .setImageInversion(
                ImageInversionTask.newBuilder()
                    .setData(
                        DataSource.newBuilder()
                            .setImageFolder(ImageFolder.newBuilder().setDir(tmp.toString()))))
            .build();
    assertEquals(1, TaskDataLoader.load(task, Path.of("/")).getImageInversion().getTargetsCount());
  }

  @Test
  void inlineOnlyTasksAreUnchangedAndMismatchedSourcesNamed() throws IOException {
    TaskSpec inline =
        TaskSpec.newBuilder()
            .setClassification(
                ClassificationTask.newBuilder()
                    .addTrain(LabeledText.newBuilder().setText("ok").setLabel(0)))
            .build();
    assertSame(inline, TaskDataLoader.load(inline, tmp));
    TaskSpec wrong =
        TaskSpec.newBuilder()
            .setStyleTransfer(
                StyleTransferTask.newBuilder()
                    .setData(
                        DataSource.newBuilder()
                            .setFewShot(FewShotData.newBuilder().setDir("x").setSplitSeed(1))))
            .build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TaskDataLoader.load(wrong, tmp));
    assertEquals(
        "spec.task.style_transfer.data: style transfer reads yelp_style data, not few_shot",
        e.getMessage());
  }

  /** RpcFuzzTest found it: a NUL in an image folder was an InvalidPathException (INTERNAL). */
  @Test
  void anImageFolderThatIsNoPathIsADataErrorNamingIt(@TempDir Path base) {
    TaskSpec task = TaskSpec.newBuilder().setImageInversion(ImageInversionTask.newBuilder()
        .setData(DataSource.newBuilder().setImageFolder(ImageFolder.newBuilder().setDir("a\0b"))))
        .build();
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> TaskDataLoader.load(task, base));
    assertTrue(e.getMessage().contains("is not a valid path"), e.getMessage());
  }
}
