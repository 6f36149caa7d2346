package dev.downloadservice.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The rules of portable names, checked on random listings made of the characters and names that break them:
 * each checked here by its own definition, not by the code under test.
 */
class PortableNamesProperties {

    private static final Pattern FORBIDDEN = Pattern.compile("[<>:\"|?*\\\\\\x00-\\x1F\\x7F]");
    private static final Pattern DEVICE =
            Pattern.compile("(?i)(CON|PRN|AUX|NUL|CONIN\\$|CONOUT\\$|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3]) *(\\..*)?");

    @Property(tries = 400)
    void of_anyListing_namesAreNfcWithoutForbiddenCharactersTrailingDotsOrDevices(@ForAll("listings") List<String> names) {
        List<String> portable = PortableNames.of(names);

        assertThat(portable).hasSameSizeAs(names);
        for (int i = 0; i < names.size(); i++) {
            String name = portable.get(i);
            assertThat(name.endsWith("/")).as(name).isEqualTo(names.get(i).endsWith("/"));
            assertThat(Normalizer.isNormalized(name, Normalizer.Form.NFC)).as(name).isTrue();
            for (String segment : segments(name)) {
                assertThat(segment).as(name).isNotEmpty().doesNotEndWith(".").doesNotEndWith(" ");
                assertThat(FORBIDDEN.matcher(segment).find()).as(name).isFalse();
                assertThat(DEVICE.matcher(segment).matches()).as(name).isFalse();
            }
        }
    }

    /**
     * No two entries, files or folders, are one name to a case-insensitive file system; and every folder has one
     * new name, the same for everything below it (a file stays in its folder, files of two folders stay apart).
     */
    @Property(tries = 400)
    void of_anyListing_everyFileAndFolderHasItsOwnNameCaseInsensitively(@ForAll("listings") List<String> names) {
        Map<String, String> renamed = renamed(names);

        Map<String, String> pathOf = new HashMap<>(); // the new path of every file and folder on the way, by its old one
        for (Map.Entry<String, String> entry : renamed.entrySet()) {
            List<String> before = segments(entry.getKey());
            List<String> after = segments(entry.getValue());
            assertThat(after).hasSameSizeAs(before);
            for (int depth = 1; depth <= before.size(); depth++) {
                String old = String.join("/", before.subList(0, depth));
                String now = String.join("/", after.subList(0, depth));
                String known = pathOf.putIfAbsent(old, now);
                assertThat(known == null || known.equals(now)).as("%s is %s and %s", old, known, now).isTrue();
            }
        }
        Set<String> folded = new HashSet<>();
        pathOf.values().forEach(path -> assertThat(folded.add(caseFolded(path))).as(path).isTrue());
    }

    @Property(tries = 300)
    void of_anyOrderOfTheSameNames_givesEachTheSameName(@ForAll("listings") List<String> names, @ForAll Random random) {
        List<String> shuffled = new ArrayList<>(names);
        Collections.shuffle(shuffled, random);

        assertThat(renamed(shuffled)).isEqualTo(renamed(names));
    }

    @Property(tries = 300)
    void of_portableNamesAlready_keepsThemAll(@ForAll("listings") List<String> names) {
        List<String> portable = new ArrayList<>();
        Set<String> folded = new HashSet<>();
        for (String name : names) {
            List<String> paths = pathsOf(name);
            if (segments(name).stream().allMatch(PortableNamesProperties::isPortable)
                    && paths.stream().noneMatch(path -> folded.contains(caseFolded(path)) && !portableHas(portable, path))) {
                portable.add(name);
                paths.forEach(path -> folded.add(caseFolded(path)));
            }
        }

        assertThat(PortableNames.of(portable)).isEqualTo(portable);
    }

    /**
     * Distinct paths of one to three segments, as a source lists them: with or without the entries of the folders
     * they are in (a selection has none), never a file where a folder is.
     */
    @Provide
    Arbitrary<List<String>> listings() {
        Arbitrary<String> word = Arbitraries.of("a", "A", "b", "B", "x.jpg", "X.JPG", "caf\u00e9", "cafe\u0301", "\u00df", "\u1e9e", "\u212a", "k",
                "ss", "SS", "CON", "con", "nul.tar.gz", "COM1", "lpt\u00b9", "CONIN$", "a (2)", " (2)", ".", "..", " ",
                ":", "*", "?", "<", ">", "\"", "|", "\\", "\t", "\u007F", "_", "(", ")", "2", "e", "\u0301", "\u0338");
        Arbitrary<String> segment = word.list().ofMinSize(1).ofMaxSize(4).map(parts -> String.join("", parts))
                .filter(s -> !s.equals(".") && !s.equals(".."));
        Arbitrary<String> path = segment.list().ofMinSize(1).ofMaxSize(3).map(parts -> String.join("/", parts));
        return Arbitraries.oneOf(Arbitraries.just(true), Arbitraries.just(false)).flatMap(withFolders ->
                path.set().ofMaxSize(30).map(paths -> listing(paths, withFolders)));
    }

    private static List<String> listing(Set<String> paths, boolean withFolders) {
        Set<String> folders = new TreeSet<>();
        for (String path : paths) {
            for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
                folders.add(path.substring(0, slash + 1));
            }
        }
        Set<String> listing = new LinkedHashSet<>();
        paths.stream().filter(path -> !folders.contains(path + "/")).forEach(listing::add);
        if (withFolders) {
            listing.addAll(folders);
        }
        return List.copyOf(listing);
    }

    private static boolean isPortable(String segment) {
        return Normalizer.isNormalized(segment, Normalizer.Form.NFC) && !FORBIDDEN.matcher(segment).find()
                && !segment.endsWith(".") && !segment.endsWith(" ") && !DEVICE.matcher(segment).matches();
    }

    /** Whether a path is one of the kept names' own, so that its name is not taken by another. */
    private static boolean portableHas(List<String> kept, String path) {
        return kept.stream().anyMatch(name -> pathsOf(name).contains(path));
    }

    /** "a/b/c" and "a/b/c/" are [a, a/b, a/b/c]: the file or folder and the folders it is in. */
    private static List<String> pathsOf(String name) {
        List<String> segments = segments(name);
        List<String> paths = new ArrayList<>();
        for (int depth = 1; depth <= segments.size(); depth++) {
            paths.add(String.join("/", segments.subList(0, depth)));
        }
        return paths;
    }

    private static List<String> segments(String name) {
        return List.of((name.endsWith("/") ? name.substring(0, name.length() - 1) : name).split("/", -1));
    }

    private static Map<String, String> renamed(List<String> names) {
        List<String> portable = PortableNames.of(names);
        Map<String, String> renamed = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            renamed.put(names.get(i), portable.get(i));
        }
        return renamed;
    }

    /** Equal for names a case-insensitive file system takes for one (README: lower, then upper case, then NFC). */
    private static String caseFolded(String name) {
        return Normalizer.normalize(name.toLowerCase(Locale.ROOT).toUpperCase(Locale.ROOT), Normalizer.Form.NFC);
    }
}
