package dev.downloadservice.archive;

import dev.downloadservice.source.Listing;
import java.text.Normalizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
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

    private PortableNames() {
    }

    /**
     * The portable name of each name, in the order given.
     *
     * @param names distinct relative paths, {@code /}-separated, a directory's ending in {@code /}; the
     *              directories a path is in need not be among them (a selection of files)
     */
    static List<String> of(List<String> names) {
        return portableAlready(names) ? names : renamed(names);
    }

    /**
     * Whether no rule changes any name, as in most folders: one pass, one map, no sorting. Each folder a name
     * is in is checked once, the first time it is seen, as the folders of a selection are not among its names.
     */
    private static boolean portableAlready(List<String> names) {
        // Case-folded path, without a folder's '/' (a file and a folder are one name too) → the path.
        Map<String, String> byCaseFolded = new HashMap<>(2 * names.size() + 1); // never resized
        for (String name : names) {
            int end = name.endsWith("/") ? name.length() - 1 : name.length();
            while (end > 0) {
                String path = end == name.length() ? name : name.substring(0, end + 1); // a folder's with its '/'
                int start = name.lastIndexOf('/', end - 1) + 1;
                String known = byCaseFolded.putIfAbsent(caseFolded(name.substring(0, end)), path);
                if (known != null) {
                    if (!known.equals(path)) {
                        return false; // two names a case-insensitive disk takes for one
                    }
                    break; // a folder seen before, and the folders it is in with it
                }
                String segment = name.substring(start, end);
                if (!segment(segment).equals(segment)) {
                    return false;
                }
                end = start - 1;
            }
        }
        return true;
    }

    /** Every rule applied: the names of each folder made distinct, from the top folder down. */
    private static List<String> renamed(List<String> names) {
        Map<String, Map<String, Node>> children = new HashMap<>(); // folder's path → path → what is in it
        for (String name : names) {
            String parent = "";
            for (int start = 0; start < name.length(); ) {
                int slash = name.indexOf('/', start);
                int end = slash < 0 ? name.length() : slash + 1;
                Node node = new Node(name.substring(start, slash < 0 ? end : slash), slash >= 0,
                        end == name.length() ? name : name.substring(0, end));
                children.computeIfAbsent(parent, p -> new HashMap<>()).putIfAbsent(node.path(), node);
                parent = node.path();
                start = end;
            }
        }
        Map<String, String> portable = new HashMap<>(2 * names.size() + 1); // a path → its new path; never resized
        portable.put("", "");
        // Folder by folder from the top, so that a folder's new path is known before its contents are named.
        Deque<String> folders = new ArrayDeque<>(List.of(""));
        while (!folders.isEmpty()) {
            String folder = folders.pop();
            // Who keeps a name is decided in the order of the names on disk, the archive's order.
            List<Node> inFolder = Listing.inOrderOfNames(List.copyOf(children.getOrDefault(folder, Map.of()).values()),
                    Node::name);
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
    private static String segment(String onDisk) {
        String name = isAscii(onDisk) || Normalizer.isNormalized(onDisk, Normalizer.Form.NFC)
                ? onDisk : Normalizer.normalize(onDisk, Normalizer.Form.NFC);
        char[] replaced = null; // copied only for a name that has something to replace
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7F || FORBIDDEN.indexOf(c) >= 0) {
                replaced = replaced == null ? name.toCharArray() : replaced;
                replaced[i] = '_';
            }
        }
        name = replaced == null ? name : new String(replaced);
        int end = name.length();
        while (end > 0 && (name.charAt(end - 1) == '.' || name.charAt(end - 1) == ' ')) {
            end--;
        }
        name = name.substring(0, end);
        if (name.isEmpty()) {
            return "_";
        }
        return isDevice(name) ? "_" + name : name;
    }

    /** Whether Windows opens a device for this name: its part before the first dot, spaces after it ignored. */
    private static boolean isDevice(String name) {
        int end = name.indexOf('.');
        end = end < 0 ? name.length() : end;
        while (end > 0 && name.charAt(end - 1) == ' ') {
            end--;
        }
        if (end < 3 || end > 7 || "CcPpAaNnLl".indexOf(name.charAt(0)) < 0) { // most names: no look-up
            return false;
        }
        char[] stem = new char[end];
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            stem[i] = c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c; // ASCII only: 'ı' is no 'I' to Windows
        }
        return DEVICES.contains(new String(stem));
    }

    /**
     * What two names are compared as: equal here, one name to a case-insensitive file system. Lower then
     * upper case in the root locale (so "ß", "ẞ" and "ss" meet, and a Turkish locale changes nothing), then
     * NFC again; of ASCII, that is its upper case, the common case made cheap.
     */
    private static String caseFolded(String name) {
        return isAscii(name)
                ? name.toUpperCase(Locale.ROOT)
                : Normalizer.normalize(name.toLowerCase(Locale.ROOT).toUpperCase(Locale.ROOT), Normalizer.Form.NFC);
    }

    private static boolean isAscii(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
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
        /** The segment as the archive sorts it: a directory's with its '/'. */
        String name() {
            return directory ? segment + "/" : segment;
        }
    }
}
