package clip4j.data;

import clip4j.ClipException;

import java.util.ArrayList;
import java.util.List;

/** Class names in label order, and the labelled images. */
public record Dataset(String name, List<String> classNames, List<ImageItem> items) {
    public Dataset {
        classNames = List.copyOf(classNames);
        items = List.copyOf(items);
        if (classNames.isEmpty()) throw new ClipException("dataset " + name + " has no classes");
    }

    /** Items grouped by label (index = label). */
    public List<List<ImageItem>> byClass() {
        List<List<ImageItem>> g = new ArrayList<>();
        for (int c = 0; c < classNames.size(); c++) g.add(new ArrayList<>());
        for (ImageItem it : items) g.get(it.label()).add(it);
        return g;
    }

    public int numClasses() {
        return classNames.size();
    }
}
