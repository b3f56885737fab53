package dev.pin.models.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ClipPreprocessorTest {

  /** The pattern the Pillow reference values below were computed on. */
  private static BufferedImage pattern(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int[] c = new int[3];
        for (int k = 0; k < 3; k++) {
          c[k] = (int) (((long) (x * 37 + y * 91 + k * 53) * 7919) % 256);
        }
        img.setRGB(x, y, (c[0] << 16) | (c[1] << 8) | c[2]);
      }
    }
    return img;
  }

  /** Undoes the normalisation to 8-bit levels. */
  private static int[] levels(float[] chw, ClipPreprocessor p) {
    int n = p.size();
    int[] out = new int[chw.length];
    for (int i = 0; i < chw.length; i++) {
      int c = i / (n * n);
      out[i] =
          Math.round(
              (chw[i] * ClipPreprocessor.OPENAI_STD[c] + ClipPreprocessor.OPENAI_MEAN[c]) * 255f);
    }
    return out;
  }

  /**
   * Expected values from Pillow 9.4 (Debian python3-pil): torchvision's Resize(N, BICUBIC) size
   * rule, Image.resize(BICUBIC), round-half-even centre crop; CHW order.
   */
  private static void assertMatchesPillow(int w, int h, int n, int[] expected) {
    ClipPreprocessor p = ClipPreprocessor.openAi(n);
    float[] chw = p.preprocess(pattern(w, h));
    assertEquals(3 * n * n, chw.length);
    int[] got = levels(chw, p);
    int exact = 0;
    for (int i = 0; i < expected.length; i++) {
      assertTrue(
          Math.abs(got[i] - expected[i]) <= 1,
          "value " + i + ": " + got[i] + " vs Pillow " + expected[i]);
      if (got[i] == expected[i]) {
        exact++;
      }
    }
    assertTrue(exact >= expected.length * 9 / 10, exact + " of " + expected.length + " exact");
  }

  @Test
  void downscaleMatchesPillowBicubic() {
    assertMatchesPillow(
        13,
        9,
        5,
        new int[] {
          75, 105, 125, 145, 167, 97, 79, 106, 126, 148, 172, 88, 82, 106, 128, 152, 178, 81, 86,
          108, 133, 155, 179, 67, 89, 93, 96, 120, 141, 161, 133, 92, 97, 123, 142, 179, 133, 89,
          98, 122, 147, 177, 137, 86, 100, 129, 149, 175, 138, 74, 66, 94, 115, 135, 157, 156, 65,
          96, 116, 138, 163, 153, 66, 96, 118, 142, 168, 144, 71, 97, 123, 145, 173, 129, 82
        });
    assertMatchesPillow(
        40,
        31,
        7,
        new int[] {
          108, 153, 108, 128, 149, 107, 143, 116, 111, 149, 107, 132, 145, 109, 141, 116, 112, 150,
          106, 133, 144, 108, 142, 116, 112, 150, 106, 132, 149, 107, 142, 115, 112, 150, 107, 126,
          148, 107, 142, 115, 113, 149, 106, 129, 147, 105, 145, 110, 115, 107, 155, 126, 123, 145,
          101, 142, 135, 109, 154, 123, 126, 140, 104, 140, 134, 108, 155, 122, 127, 140, 101, 140,
          134, 109, 155, 122, 127, 142, 101, 141, 134, 108, 155, 121, 122, 143, 101, 140, 133, 109,
          153, 124, 125, 142, 101, 144, 129, 110, 101, 148, 120, 116, 157, 111, 137, 129, 104, 149,
          118, 120, 153, 111, 134, 129, 103, 150, 117, 121, 153, 113, 134, 129, 104, 150, 117, 121,
          154, 112, 134, 129, 104, 150, 118, 115, 153, 112, 134, 129, 104, 149, 116, 116, 154, 110,
          138, 125, 106
        });
  }

  @Test
  void upscaleMatchesPillowBicubic() {
    assertMatchesPillow(
        3,
        4,
        6,
        new int[] {
          49, 66, 125, 118, 44, 10, 199, 182, 153, 101, 35, 4, 255, 237, 164, 89, 23, 0, 253, 222,
          156, 81, 8, 0, 241, 210, 144, 92, 63, 56, 235, 201, 127, 120, 179, 207, 127, 106, 61, 68,
          124, 151, 108, 132, 183, 190, 150, 132, 96, 142, 241, 248, 160, 120, 91, 134, 225, 232,
          152, 115, 86, 127, 214, 221, 145, 110, 80, 121, 208, 215, 139, 104, 253, 224, 162, 92, 26,
          0, 248, 219, 156, 83, 10, 0, 242, 211, 146, 93, 60, 52, 237, 203, 129, 121, 178, 204, 231,
          195, 119, 131, 228, 255, 225, 190, 113, 122, 212, 254
        });
  }

  @Test
  void squareImageAtSizeIsCopiedAndNormalisedInChwOrder() {
    BufferedImage img = pattern(4, 4);
    ClipPreprocessor p = ClipPreprocessor.openAi(4);
    float[] chw = p.preprocess(img);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 4; x++) {
          int level = (img.getRGB(x, y) >> (16 - 8 * c)) & 0xff;
          float expected =
              (level / 255f - ClipPreprocessor.OPENAI_MEAN[c]) / ClipPreprocessor.OPENAI_STD[c];
          assertEquals(expected, chw[c * 16 + y * 4 + x], 1e-6f);
        }
      }
    }
  }

  @Test
  void centreCropOfTheLongSide() {
    // 6 wide, 4 high, N = 4: no resampling, columns 1..4 are kept.
    BufferedImage img = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 6; x++) {
      for (int y = 0; y < 4; y++) {
        img.setRGB(x, y, (x * 40) << 16);
      }
    }
    ClipPreprocessor p = ClipPreprocessor.openAi(4);
    int[] lv = levels(p.preprocess(img), p);
    for (int x = 0; x < 4; x++) {
      assertEquals((x + 1) * 40, lv[x]);
    }
  }

  @Test
  void uniformColourStaysExactAndAlphaIsDropped() {
    BufferedImage img = new BufferedImage(50, 30, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 50; x++) {
        img.setRGB(x, y, (0x10 << 24) | (255 << 16) | (0 << 8) | 128);
      }
    }
    ClipPreprocessor p = ClipPreprocessor.openAi(8);
    float[] chw = p.preprocess(img);
    float r = (1f - 0.48145466f) / 0.26862954f;
    float g = (0f - 0.4578275f) / 0.26130258f;
    float b = (128f / 255f - 0.40821073f) / 0.27577711f;
    for (int i = 0; i < 64; i++) {
      assertEquals(r, chw[i], 1e-6f);
      assertEquals(g, chw[64 + i], 1e-6f);
      assertEquals(b, chw[128 + i], 1e-6f);
    }
  }

  @Test
  void bicubicKernelHasPillowsShape() {
    assertEquals(1.0, ClipPreprocessor.Kernel.bicubic(0), 0);
    assertEquals(0.8671875, ClipPreprocessor.Kernel.bicubic(0.25), 1e-12);
    assertEquals(0.0, ClipPreprocessor.Kernel.bicubic(1), 1e-12);
    assertEquals(-0.0703125, ClipPreprocessor.Kernel.bicubic(1.25), 1e-12);
    assertEquals(0.0, ClipPreprocessor.Kernel.bicubic(2), 0);
  }
}
