package dev.pin.models.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/** Decodes PNG/JPEG bytes (Image.data) with the JDK's ImageIO. */
public final class ImageDecoder {
  private ImageDecoder() {}

  /**
   * Decodes an encoded image.
   *
   * @param data PNG or JPEG bytes
   * @return the image
   * @throws IllegalArgumentException when the bytes are empty or not a readable image
   */
  public static BufferedImage decode(byte[] data) {
    if (data.length == 0) {
      throw new IllegalArgumentException("no image bytes");
    }
    try {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(data));
      if (img == null) {
        throw new IllegalArgumentException(
            "not a PNG or JPEG image (" + data.length + " bytes, no ImageIO reader accepts them)");
      }
      if (img.getWidth() < 1 || img.getHeight() < 1) {
        throw new IllegalArgumentException("empty image");
      }
      return img;
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable image: " + e.getMessage(), e);
    }
  }
}
