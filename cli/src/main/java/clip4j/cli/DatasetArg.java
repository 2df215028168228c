package clip4j.cli;

import clip4j.data.Dataset;
import clip4j.data.FashionMnist;
import clip4j.data.FewShotSampler;
import clip4j.data.ImageFolder;

import java.nio.file.Path;

/** A --train/--test/--val value: "fashion-mnist" (Debian's dataset-fashion-mnist) or an ImageFolder directory. */
final class DatasetArg {
    private DatasetArg() {
    }

    static Dataset load(String arg, String split, Path classNames) {
        if (arg.equals("fashion-mnist")) return FashionMnist.load(FashionMnist.DEFAULT_DIR, split);
        if (arg.equals("shapes")) return clip4j.data.SyntheticShapes.generate(split, split.equals("train") ? 60 : 40, split.equals("train") ? 1 : 2);
        return ImageFolder.load(Path.of(arg), classNames);
    }

    /** The test set, limited to perClass images per class (fixed seed 0, the same for every run) when perClass > 0. */
    static Dataset limited(Dataset d, int perClass) {
        if (perClass <= 0) return d;
        return new Dataset(d.name(), d.classNames(), FewShotSampler.limitPerClass(d, perClass, 0));
    }

    /** Only the items of the named classes (class order unchanged); an unknown name is an error. */
    static Dataset onlyClasses(Dataset d, java.util.List<String> names) {
        java.util.List<String> wanted = names.stream().map(String::strip).toList();
        for (String n : wanted) {
            if (!d.classNames().contains(n)) throw new clip4j.ClipException("--eval-classes: unknown class '" + n + "'");
        }
        return new Dataset(d.name(), d.classNames(), d.items().stream().filter(it -> wanted.contains(d.classNames().get(it.label()))).toList());
    }
}
