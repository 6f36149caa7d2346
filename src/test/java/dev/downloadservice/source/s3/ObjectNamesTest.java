package dev.downloadservice.source.s3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which keys below a folder become entries, and which are left out. */
class ObjectNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"a.jpg", "sub/dir/b.jpg", "sub/", "Фото/夏.png", "a..b", "...", "with space.txt"})
    void safeNames_kept(String relative) {
        assertThat(ObjectNames.whyUnsafe(relative)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/../b", "./c", "a/./b", "/abs", "a//b", "//", "back\\slash", "tab\there",
            "del\u007F", "dir/..", "a/b\u0000"})
    void unsafeNames_leftOut(String relative) {
        assertThat(ObjectNames.whyUnsafe(relative)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {".hidden", "dir/.git/config", "a/.b"})
    void hiddenNames(String relative) {
        assertThat(ObjectNames.isHidden(relative)).isTrue();
    }
}
