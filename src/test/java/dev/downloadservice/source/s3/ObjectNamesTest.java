package dev.downloadservice.source.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.ListedNames;
import dev.downloadservice.testing.TestFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which keys below a folder become entries, and which are left out. */
class ObjectNamesTest {

    private static final ListedNames AS_THEY_ARE = new ListedNames(/* hidden= */ false,
            /* backslashOrControl= */ false);

    @ParameterizedTest
    @ValueSource(strings = {"a.jpg", "sub/dir/b.jpg", "sub/", "Фото/夏.png", "a..b", "...", "with space.txt"})
    void safeNames_kept(String relative) {
        assertThat(ObjectNames.whyLeftOut(relative, AS_THEY_ARE)).isNull();
        assertThat(ObjectNames.whyLeftOut(relative, TestFiles.LISTED_BY_DEFAULT)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/../b", "./c", "a/./b", "/abs", "a//b", "//", "dir/..", "a\\b/../c",
            "bad\uFFFDutf8"})
    void unsafeNames_leftOut(String relative) {
        assertThat(ObjectNames.whyLeftOut(relative, AS_THEY_ARE)).isNotNull();
        assertThat(ObjectNames.whyLeftOut(relative, TestFiles.LISTED_BY_DEFAULT)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"back\\slash", "dir\\photo.jpg", "tab\there", "del\u007F", "a/b\u0000", "bell\u0007/x.jpg"})
    void backslashOrControl_listedOnlyWhenAsked(String relative) {
        assertThat(ObjectNames.whyLeftOut(relative, AS_THEY_ARE)).isNotNull();
        assertThat(ObjectNames.whyLeftOut(relative, TestFiles.LISTED_BY_DEFAULT)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {".hidden", "dir/.git/config", "a/.b"})
    void hiddenNames(String relative) {
        assertThat(ObjectNames.isHidden(relative)).isTrue();
    }
}
