package dev.downloadservice.source.local;

import dev.downloadservice.source.FileVersion;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.FileChannel;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.concurrent.TimeUnit;

/**
 * The attributes of the file an open channel reads, not of whatever a name points to
 * now: {@code fstat} on the channel's descriptor. Checking a name after opening it would
 * let a file renamed in for the open and out again pass.
 *
 * <p>The JDK has no public {@code fstat}, nor a way to get a {@link FileChannel}'s
 * descriptor; this reaches both inside {@code java.base} (the channel's descriptor field,
 * and {@code sun.nio.fs.UnixFileAttributes.get(int)}, which the JDK's own file system
 * uses), as the jar's manifest allows ({@code Add-Opens}). Without them the service
 * refuses to start rather than serve without the check. ({@code stat("/proc/self/fd/N")}
 * would need only the descriptor, but costs six times an {@code fstat}: a third of the
 * CPU time of a folder of small files went there.)
 */
final class OpenFiles {

    /** {@code FileChannelImpl.fd}: (FileChannel) FileDescriptor. */
    private final MethodHandle channelDescriptor;
    /** {@code FileDescriptor.fd}: (FileDescriptor) int. */
    private final MethodHandle descriptorNumber;
    /** {@code UnixFileAttributes.get(int)}: (int) PosixFileAttributes, by fstat. */
    private final MethodHandle fstat;
    /** {@code UnixFileAttributes.ctime()}: (PosixFileAttributes) FileTime; the JDK's "unix:ctime". */
    private final MethodHandle ctime;

    private OpenFiles(MethodHandle channelDescriptor, MethodHandle descriptorNumber, MethodHandle fstat,
                      MethodHandle ctime) {
        this.channelDescriptor = channelDescriptor;
        this.descriptorNumber = descriptorNumber;
        this.fstat = fstat;
        this.ctime = ctime;
    }

    /** Finds the JDK's internals once; fails with a message that says how to start the JVM. */
    static OpenFiles find(FileChannel sample) throws IOException {
        try {
            MethodHandles.Lookup ours = MethodHandles.lookup();
            Class<?> channelClass = sample.getClass();
            MethodHandle channelDescriptor = MethodHandles.privateLookupIn(channelClass, ours)
                    .findGetter(channelClass, "fd", FileDescriptor.class)
                    .asType(MethodType.methodType(FileDescriptor.class, FileChannel.class));
            MethodHandle descriptorNumber = MethodHandles.privateLookupIn(FileDescriptor.class, ours)
                    .findGetter(FileDescriptor.class, "fd", int.class);
            Class<?> attributesClass = Class.forName("sun.nio.fs.UnixFileAttributes");
            MethodHandles.Lookup attributes = MethodHandles.privateLookupIn(attributesClass, ours);
            MethodHandle fstat = attributes
                    .findStatic(attributesClass, "get", MethodType.methodType(attributesClass, int.class))
                    .asType(MethodType.methodType(PosixFileAttributes.class, int.class));
            MethodHandle ctime = attributes.findVirtual(attributesClass, "ctime", MethodType.methodType(FileTime.class))
                    .asType(MethodType.methodType(FileTime.class, PosixFileAttributes.class));
            return new OpenFiles(channelDescriptor, descriptorNumber, fstat, ctime);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot check open files by descriptor: start the service with 'java -jar'"
                    + " (its manifest opens what is needed) or add --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
                    + " --add-opens java.base/java.io=ALL-UNNAMED --add-opens java.base/sun.nio.fs=ALL-UNNAMED;"
                    + " found: " + e, e);
        }
    }

    /**
     * The version of a file the attributes describe: inode, mtime and ctime to the nanosecond.
     * The attributes must be the JDK's own, as every read of this file system gives them.
     */
    FileVersion version(PosixFileAttributes attributes) {
        FileTime changed;
        try {
            changed = (FileTime) ctime.invokeExact(attributes);
        } catch (Throwable e) {
            throw new IllegalStateException("expected the JDK's attributes to have a ctime, found " + e, e);
        }
        return new FileVersion(attributes.fileKey(), attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                changed.to(TimeUnit.NANOSECONDS));
    }

    /** The attributes of the open file itself (its inode), whatever its names are now. */
    PosixFileAttributes attributes(FileChannel channel) throws IOException {
        int descriptor;
        try {
            descriptor = (int) descriptorNumber.invokeExact((FileDescriptor) channelDescriptor.invokeExact(channel));
        } catch (Throwable e) {
            throw new IllegalStateException("expected the getters found at start-up to work, found " + e, e);
        }
        try {
            return (PosixFileAttributes) fstat.invokeExact(descriptor);
        } catch (Error | RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            // sun.nio.fs.UnixException, checked but not an IOException; its message is the errno's text.
            throw new IOException("fstat of descriptor " + descriptor + " failed: " + e.getMessage(), e);
        }
    }
}
