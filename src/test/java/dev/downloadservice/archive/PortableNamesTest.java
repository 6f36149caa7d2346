package dev.downloadservice.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of the table in README.md ("Names that extract everywhere"): names on disk → names in the archive. */
class PortableNamesTest {

    static Stream<Arguments> table() {
        return Stream.of(
                row("NFC", List.of("cafe\u0301.jpg"), List.of("caf\u00e9.jpg")),
                row("one name to macOS: the NFC spelling keeps it", List.of("cafe\u0301.jpg", "caf\u00e9.jpg"),
                        List.of("caf\u00e9 (2).jpg", "caf\u00e9.jpg")),
                row("characters Windows refuses", List.of("a:b.jpg", "star*.jpg", "q?.jpg", "<tag>.jpg", "say \"hi\".jpg",
                        "pipe|.jpg", "back\\slash.jpg", "tab\there.jpg", "del\u007F.jpg"),
                        List.of("a_b.jpg", "star_.jpg", "q_.jpg", "_tag_.jpg", "say _hi_.jpg", "pipe_.jpg", "back_slash.jpg",
                                "tab_here.jpg", "del_.jpg")),
                row("trailing dots and spaces", List.of("trailing dot.", "dots and spaces . .", " leading space"),
                        List.of("trailing dot", "dots and spaces", " leading space")),
                row("nothing left", List.of("...", "dir. /a.jpg"), List.of("_", "dir/a.jpg")),
                row("device names, any case, any extension",
                        List.of("CON.jpg", "con.tar.gz", "nul", "Aux.", "prn .txt", "COM1", "lpt9.log", "COM\u00b9.txt",
                                "LPT0", "CONIN$", "conout$.txt"),
                        List.of("_CON.jpg", "_con.tar.gz", "_nul", "_Aux", "_prn .txt", "_COM1", "_lpt9.log",
                                "_COM\u00b9.txt", "_LPT0", "_CONIN$", "_conout$.txt")),
                row("not device names", List.of("COM10.txt", "CONSOLE.txt", "xcon.jpg", "LPT.txt", ".con", "con_.jpg"),
                        List.of("COM10.txt", "CONSOLE.txt", "xcon.jpg", "LPT.txt", ".con", "con_.jpg")),
                row("case", List.of("Case.jpg", "case.jpg", "CASE.JPG"), List.of("Case (2).jpg", "case (3).jpg", "CASE.JPG")),
                row("a number nobody has", List.of("A.jpg", "a.jpg", "a (2).jpg"), List.of("A.jpg", "a (3).jpg", "a (2).jpg")),
                row("a portable name is kept", List.of("a:b.jpg", "a_b.jpg"), List.of("a_b (2).jpg", "a_b.jpg")),
                row("a backslash is in one name, not between two", List.of("dir\\photo.jpg", "back\\slash/",
                        "back\\slash/a.jpg", "bell\u0007/", "bell\u0007/\tb.jpg"),
                        List.of("dir_photo.jpg", "back_slash/", "back_slash/a.jpg", "bell_/", "bell_/_b.jpg")),
                row("a backslash gives way to a name that has none", List.of("a\\b.jpg", "a_b.jpg", "A\u0007B.jpg"),
                        List.of("a_b (3).jpg", "a_b.jpg", "A_B (2).jpg")), // A (0x41) sorts before a (0x61)
                row("ß is ss", List.of("Stra\u00dfe.jpg", "STRASSE.jpg", "STRA\u1e9eE.jpg"),
                        List.of("Stra\u00dfe (3).jpg", "STRASSE.jpg", "STRA\u1e9eE (2).jpg")),
                row("the Kelvin sign is K (NFC), and K is k", List.of("\u212a.jpg", "k.jpg"), List.of("K (2).jpg", "k.jpg")),
                row("no extension, a hidden file", List.of("README", "readme", ".Profile", ".profile"),
                        List.of("README", "readme (2)", ".Profile", ".profile (2)")),
                row("folders: renamed for everything in them, never merged",
                        List.of("Photos/", "Photos/a.jpg", "photos/", "photos/a.jpg", "photos/b.jpg"),
                        List.of("Photos/", "Photos/a.jpg", "photos (2)/", "photos (2)/a.jpg", "photos (2)/b.jpg")),
                row("a folder's number goes at its end", List.of("v1.2/", "V1.2/"), List.of("v1.2 (2)/", "V1.2/")),
                row("a folder's number for what is in it", List.of("v1.2/", "V1.2/x", "v1.2/x"),
                        List.of("v1.2 (2)/", "V1.2/x", "v1.2 (2)/x")),
                row("a folder and a file", List.of("photos", "Photos/", "Photos/a.jpg"),
                        List.of("photos (2)", "Photos/", "Photos/a.jpg")),
                row("a file and a folder of one name", List.of("a", "a/"), List.of("a", "a (2)/")),
                row("a folder named by its files alone (a selection)", List.of("Sub:1/a.jpg", "sub_1/b.jpg"),
                        List.of("Sub_1 (2)/a.jpg", "sub_1/b.jpg")),
                row("every rule in a folder", List.of("con./", "con./x?.jpg"), List.of("_con/", "_con/x_.jpg")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void of_tableRow_givesTheNamesInTheTable(String rule, List<String> onDisk, List<String> inArchive) {
        assertThat(PortableNames.of(onDisk)).isEqualTo(inArchive);
    }

    private static Arguments row(String rule, List<String> onDisk, List<String> inArchive) {
        return Arguments.of(rule, onDisk, inArchive);
    }
}
