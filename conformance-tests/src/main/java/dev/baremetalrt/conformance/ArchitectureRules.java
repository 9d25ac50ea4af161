package dev.baremetalrt.conformance;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.lang.ArchRule;
import java.util.List;

/**
 * The dependency rules of ARCHITECTURE.md as ArchUnit rules: {@code spi} depends on the JDK only;
 * {@code core} on spi; backends only on spi (and core's format readers where stated), never on each other,
 * the cluster or the server; nothing below the server depends on it. Check them against classes imported
 * from the whole classpath of an application that has every module.
 */
public final class ArchitectureRules {
    static final String SPI = "dev.baremetalrt.spi..";
    static final String CORE = "dev.baremetalrt.core..";
    static final String BACKENDS = "dev.baremetalrt.backend..";
    static final String CLUSTER = "dev.baremetalrt.cluster..";
    static final String SERVER = "dev.baremetalrt.server..";
    static final String CLI = "dev.baremetalrt.cli..";

    private ArchitectureRules() {}

    public static final ArchRule SPI_HAS_NO_DEPENDENCIES = noClasses().that().resideInAPackage(SPI)
            .should().dependOnClassesThat().resideOutsideOfPackages(SPI, "java..")
            .as("spi depends on the JDK only");

    public static final ArchRule CORE_SEES_ONLY_SPI = noClasses().that().resideInAPackage(CORE)
            .should().dependOnClassesThat().resideInAnyPackage(BACKENDS, CLUSTER, SERVER, CLI, "dev.baremetalrt.conformance..")
            .as("core depends on spi only (never on backends, cluster, server or tests)");

    public static final ArchRule BACKENDS_SEE_ONLY_SPI = noClasses().that().resideInAPackage(BACKENDS)
            .should().dependOnClassesThat().resideInAnyPackage(CLUSTER, SERVER, CLI, "dev.baremetalrt.core.engine..",
                    "dev.baremetalrt.core.sampling..", "dev.baremetalrt.core.synth..", "dev.baremetalrt.conformance..")
            .as("backends depend on spi (and at most core's format readers)");

    public static final ArchRule CLUSTER_DOES_NOT_SEE_SERVER = noClasses().that().resideInAPackage(CLUSTER)
            .should().dependOnClassesThat().resideInAnyPackage(SERVER, CLI, BACKENDS)
            .as("cluster depends on spi and core, not on the server or a backend")
            .allowEmptyShould(true); // the cluster module does not exist yet

    public static final ArchRule SERVER_DOES_NOT_SEE_BACKENDS = noClasses().that().resideInAnyPackage(SERVER, CLI)
            .should().dependOnClassesThat().resideInAPackage(BACKENDS)
            .as("the server finds backends through ServiceLoader, never by class");

    public static final ArchRule BACKENDS_DO_NOT_KNOW_EACH_OTHER = com.tngtech.archunit.library.dependencies.SlicesRuleDefinition
            .slices().matching("dev.baremetalrt.backend.(*)..").should().notDependOnEachOther()
            .as("no backend depends on another backend");

    /** Every rule. */
    public static List<ArchRule> all() {
        return List.of(SPI_HAS_NO_DEPENDENCIES, CORE_SEES_ONLY_SPI, BACKENDS_SEE_ONLY_SPI, BACKENDS_DO_NOT_KNOW_EACH_OTHER,
                CLUSTER_DOES_NOT_SEE_SERVER, SERVER_DOES_NOT_SEE_BACKENDS);
    }
}
