package dev.downloadservice.source;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * The attributes of the file an open channel reads, not of whatever a name points to
 * now: {@code stat("/proc/self/fd/N")} reaches the open file itself. Checking a name
 * after opening it would let a file renamed in for the open and out again pass.
 *
 * <p>The JDK has no public way to get the descriptor of a {@link FileChannel}; this
 * reads it by reflection, which the jar's manifest allows ({@code Add-Opens}). Without
 * it the service refuses to start rather than serve without the check.
 */
final class OpenFiles {

    private final Field channelDescriptor;
    private final Field descriptorNumber;

    private OpenFiles(Field channelDescriptor, Field descriptorNumber) {
        this.channelDescriptor = channelDescriptor;
        this.descriptorNumber = descriptorNumber;
    }

    /** Finds the fields once; fails with a message that says how to start the JVM. */
    static OpenFiles find(FileChannel sample) throws IOException {
        try {
            Field channelDescriptor = sample.getClass().getDeclaredField("fd");
            channelDescriptor.setAccessible(true);
            Field descriptorNumber = FileDescriptor.class.getDeclaredField("fd");
            descriptorNumber.setAccessible(true);
            if (!Files.isDirectory(Path.of("/proc/self/fd"))) {
                throw new IOException("expected /proc/self/fd (Linux), found none");
            }
            return new OpenFiles(channelDescriptor, descriptorNumber);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot check open files by descriptor: start the service with 'java -jar'"
                    + " (its manifest opens what is needed) or add --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
                    + " --add-opens java.base/java.io=ALL-UNNAMED; found: " + e, e);
        }
    }

    /** The attributes of the open file itself (its inode), whatever its names are now. */
    PosixFileAttributes attributes(FileChannel channel) throws IOException {
        try {
            int descriptor = descriptorNumber.getInt(channelDescriptor.get(channel));
            return Files.readAttributes(Path.of("/proc/self/fd/" + descriptor), PosixFileAttributes.class);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("the descriptor field was made accessible when found", e);
        }
    }
}
