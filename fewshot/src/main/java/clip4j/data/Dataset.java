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

    /** This dataset's items labelled in another class order (matched by name); an unknown class is an error. */
    public Dataset relabel(List<String> order) {
        List<ImageItem> out = new ArrayList<>(items.size());
        for (ImageItem it : items) {
            String name = classNames.get(it.label());
            int idx = order.indexOf(name);
            if (idx < 0) throw new ClipException("class '" + name + "' of " + this.name + " is not among the training classes");
            out.add(new RelabeledItem(it, idx));
        }
        return new Dataset(this.name, order, out);
    }

    public int numClasses() {
        return classNames.size();
    }
}
