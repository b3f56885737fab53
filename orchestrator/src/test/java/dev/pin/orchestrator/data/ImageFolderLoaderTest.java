package dev.pin.orchestrator.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.Image;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderLoaderTest {
  @TempDir Path tmp;

  @Test
  void readsImagesSortedByNameAndSkipsOtherFiles() throws IOException {
    writeImage("b.png", "png");
    writeImage("a.jpg", "jpg");
    writeImage("c.JPEG", "jpg");
    Files.writeString(tmp.resolve("notes.txt"), "not an image");
    List<Image> images = ImageFolderLoader.load(tmp, 0);
    assertEquals(
        List.of("a.jpg", "b.png", "c.JPEG"),
        images.stream().map(i -> Path.of(i.getSource()).getFileName().toString()).toList());
    assertEquals(Files.size(tmp.resolve("b.png")), images.get(1).getData().size());
    assertEquals(2, ImageFolderLoader.load(tmp, 2).size());
  }

  @Test
  void corruptImageIsNamed() throws IOException {
    writeImage("a.png", "png");
    Files.writeString(tmp.resolve("b.png"), "this is text, not a PNG");
    DataFormatException e =
        assertThrows(DataFormatException.class, () -> ImageFolderLoader.load(tmp, 0));
    assertTrue(e.getMessage().contains("b.png: is not a PNG or JPEG image"), e.getMessage());
  }

  @Test
  void emptyFolder() {
    DataFormatException e =
        assertThrows(DataFormatException.class, () -> ImageFolderLoader.load(tmp, 0));
    assertTrue(e.getMessage().contains("folder holds no images"), e.getMessage());
  }

  private void writeImage(String name, String format) throws IOException {
    BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
    img.setRGB(1, 1, 0xff8800);
    assertTrue(ImageIO.write(img, format, tmp.resolve(name).toFile()));
  }
}
