#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
/* Writes a W x H CMYK pattern as a YCCK JPEG (Adobe transform 2, 2x2 chroma subsampling) with libjpeg, for the
 * image-format goldens (Pillow cannot write YCCK). Built and run by scripts/make_image_goldens.py:
 *     gcc scripts/ycck_jpeg.c -o /tmp/ycck_jpeg -ljpeg && /tmp/ycck_jpeg out.jpg 90 70
 * Needs Debian's libjpeg62-turbo-dev. */
int main(int argc, char **argv) {
  int w = atoi(argv[2]), h = atoi(argv[3]);
  FILE *f = fopen(argv[1], "wb");
  struct jpeg_compress_struct c; struct jpeg_error_mgr e;
  c.err = jpeg_std_error(&e); jpeg_create_compress(&c); jpeg_stdio_dest(&c, f);
  c.image_width = w; c.image_height = h; c.input_components = 4; c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c); jpeg_set_colorspace(&c, JCS_YCCK); jpeg_set_quality(&c, 90, TRUE);
  jpeg_start_compress(&c, TRUE);
  unsigned char *row = malloc(w * 4);
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      row[4*x] = (x * 255) / w; row[4*x+1] = (y * 255) / h; row[4*x+2] = ((x + y) * 7) & 255; row[4*x+3] = (x * y) & 255;
    }
    JSAMPROW r = row; jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c); fclose(f); return 0;
}
