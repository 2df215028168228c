package clip4j;

/** An error the user can cause (bad file, bad argument). Its message is one line; the CLI prints only that. */
public class ClipException extends RuntimeException {
    public ClipException(String message) {
        super(message);
    }

    public ClipException(String message, Throwable cause) {
        super(message, cause);
    }
}
