package dev.downloadservice.archive;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Entry names that Windows Explorer, macOS and Linux all extract as distinct files, whatever the
 * names were on disk. Each segment of a path (folders too) is made portable on its own:
 * <ol>
 *   <li>NFC: macOS uploads by FTP are NFD, and an NFD and an NFC spelling are one name to macOS;</li>
 *   <li>{@code < > : " | ? * \} and control characters become {@code _}: Windows refuses them;</li>
 *   <li>trailing dots and spaces go (Windows drops them); a segment left empty becomes {@code _};</li>
 *   <li>a Windows device name (CON, NUL, COM1, LPT¹, … with any extension, any case) gets a leading {@code _};</li>
 *   <li>names of one folder that are then equal case-insensitively (Windows and macOS folders are) get
 *       {@code " (2)"}, {@code " (3)"}… before the extension, and no number gives a name another entry has.
 *       One of them keeps its name: one that was portable already if there is one (a file never loses its
 *       name to one whose name had to change), and of those the one whose name on disk sorts first (by
 *       UTF-8 bytes).</li>
 * </ol>
 * A folder renamed by the last rule is renamed in the path of everything below it; folders that collide are
 * never merged, so the files of one folder stay together and keep their names. The result depends on the set
 * of names alone: not on their order, the locale, or the machine.
 */
final class PortableNames {

    /** What Windows refuses in a name besides control characters; '\' is its separator. */
    private static final String FORBIDDEN = "<>:\"|?*\\";

    /**
     * What Windows takes for a device whatever follows the first dot ("nul.tar.gz" is NUL): Microsoft's
     * "Naming Files, Paths, and Namespaces", which counts the superscripts ¹ ² ³ as digits, and CONIN$ and
     * CONOUT$, the console's own names.
     */
    private static final Set<String> DEVICES = devices();

    /** The order that decides who keeps a name: UTF-8 bytes of the name on disk, as the archive's order is. */
    private static final Comparator<Node> ON_DISK = Comparator
            .comparing((Node node) -> node.segment().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned)
            .thenComparing(Node::directory);

    private PortableNames() {
    }

    /**
     * The portable name of each name, in the order given.
     *
     * @param names distinct relative paths, {@code /}-separated, a directory's ending in {@code /}; the
     *              directories a path is in need not be among them (a selection of files)
     */
    static List<String> of(List<String> names) {
        Map<String, Set<Node>> children = new HashMap<>();
        for (String name : names) {
            String parent = "";
            for (int start = 0; start < name.length(); ) {
                int slash = name.indexOf('/', start);
                int end = slash < 0 ? name.length() : slash + 1;
                Node node = new Node(name.substring(start, slash < 0 ? end : slash), slash >= 0, name.substring(0, end));
                children.computeIfAbsent(parent, p -> new HashSet<>()).add(node);
                parent = node.path();
                start = end;
            }
        }
        Map<String, String> portable = new HashMap<>();
        portable.put("", "");
        // Folder by folder from the top, so that a folder's new path is known before its contents are named.
        Deque<String> folders = new ArrayDeque<>(List.of(""));
        while (!folders.isEmpty()) {
            String folder = folders.pop();
            List<Node> inFolder = new ArrayList<>(children.getOrDefault(folder, Set.of()));
            inFolder.sort(ON_DISK);
            List<String> segments = distinct(inFolder);
            for (int i = 0; i < inFolder.size(); i++) {
                Node node = inFolder.get(i);
                portable.put(node.path(), portable.get(folder) + segments.get(i) + (node.directory() ? "/" : ""));
                if (node.directory()) {
                    folders.push(node.path());
                }
            }
        }
        return names.stream().map(portable::get).toList();
    }

    /**
     * The portable segments of one folder's entries, sorted as on disk. A portable segment claims its name
     * if it is the first of its kind, those of names already portable first: a file never loses its name to
     * one whose name had to change. Each other entry gets the first number that gives a name nobody has.
     */
    private static List<String> distinct(List<Node> sorted) {
        List<String> cleaned = sorted.stream().map(node -> segment(node.segment())).toList();
        List<Integer> claiming = new ArrayList<>(sorted.size());
        for (boolean changed : new boolean[] {false, true}) {
            for (int i = 0; i < sorted.size(); i++) {
                if (cleaned.get(i).equals(sorted.get(i).segment()) != changed) {
                    claiming.add(i);
                }
            }
        }
        Set<String> taken = new HashSet<>();
        String[] names = new String[sorted.size()];
        for (int i : claiming) {
            if (taken.add(caseFolded(cleaned.get(i)))) {
                names[i] = cleaned.get(i);
            }
        }
        for (int i = 0; i < names.length; i++) {
            for (int n = 2; names[i] == null; n++) {
                String numbered = numbered(cleaned.get(i), n, sorted.get(i).directory());
                if (taken.add(caseFolded(numbered))) {
                    names[i] = numbered;
                }
            }
        }
        return List.of(names);
    }

    /** One segment, made portable by every rule but the last: the same segment on disk always gives the same. */
    static String segment(String onDisk) {
        String nfc = Normalizer.isNormalized(onDisk, Normalizer.Form.NFC)
                ? onDisk : Normalizer.normalize(onDisk, Normalizer.Form.NFC);
        StringBuilder name = new StringBuilder(nfc.length() + 1);
        for (int i = 0; i < nfc.length(); i++) {
            char c = nfc.charAt(i);
            name.append(c < 0x20 || c == 0x7F || FORBIDDEN.indexOf(c) >= 0 ? '_' : c);
        }
        int end = name.length();
        while (end > 0 && (name.charAt(end - 1) == '.' || name.charAt(end - 1) == ' ')) {
            end--;
        }
        name.setLength(end);
        if (name.isEmpty()) {
            return "_";
        }
        return isDevice(name) ? "_" + name : name.toString();
    }

    /** Whether Windows opens a device for this name: its part before the first dot, spaces after it ignored. */
    static boolean isDevice(CharSequence name) {
        int end = 0;
        while (end < name.length() && name.charAt(end) != '.') {
            end++;
        }
        while (end > 0 && name.charAt(end - 1) == ' ') {
            end--;
        }
        if (end < 3 || end > 7) {
            return false;
        }
        StringBuilder stem = new StringBuilder(end);
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            stem.append(c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c); // ASCII only: 'ı' is no 'I' to Windows
        }
        return DEVICES.contains(stem.toString());
    }

    /**
     * What two names are compared as: equal here, one name to a case-insensitive file system. Lower then
     * upper case in the root locale (so "ß", "ẞ" and "ss" meet, and a Turkish locale changes nothing), then
     * NFC again.
     */
    static String caseFolded(String name) {
        return Normalizer.normalize(name.toLowerCase(Locale.ROOT).toUpperCase(Locale.ROOT), Normalizer.Form.NFC);
    }

    /** "a.jpg" as "a (2).jpg"; a folder, or a name without an extension, gets the number at its end. */
    private static String numbered(String name, int n, boolean directory) {
        int dot = directory ? -1 : name.lastIndexOf('.');
        return dot > 0
                ? name.substring(0, dot) + " (" + n + ")" + name.substring(dot)
                : name + " (" + n + ")";
    }

    private static Set<String> devices() {
        Set<String> devices = new HashSet<>(List.of("CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"));
        for (char digit : "0123456789\u00B9\u00B2\u00B3".toCharArray()) {
            devices.add("COM" + digit);
            devices.add("LPT" + digit);
        }
        return Set.copyOf(devices);
    }

    /**
     * One segment of a path on disk.
     *
     * @param path the whole path up to and with this segment, a directory's ending in {@code /}
     */
    private record Node(String segment, boolean directory, String path) {
    }
}
