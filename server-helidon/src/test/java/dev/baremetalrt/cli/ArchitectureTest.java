package dev.baremetalrt.cli;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.baremetalrt.conformance.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** The module rules of ARCHITECTURE.md over every BareMetalRT class on this module's classpath. */
class ArchitectureTest {
    @Test
    void moduleDependenciesFollowTheMap() {
        JavaClasses classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.baremetalrt");
        if (classes.stream().noneMatch(c -> c.getPackageName().startsWith("dev.baremetalrt.backend.cpu"))) {
            throw new AssertionError("the cpu backend is not on the test classpath: the rules would check nothing");
        }
        for (ArchRule rule : ArchitectureRules.all()) {
            rule.check(classes);
        }
    }
}
