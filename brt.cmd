@echo off
rem BareMetalRT launcher for Windows: finds a JDK >= 25, builds the application once if needed, runs brt.
rem   brt demo      the main job on an embedded default
rem   brt test      the test suite (mvnw verify)
setlocal EnableDelayedExpansion
set "ROOT=%~dp0"
set "JDK="
if defined JAVA_HOME call :check "%JAVA_HOME%"
if not defined JDK (
  for /d %%D in ("%ProgramFiles%\Eclipse Adoptium\*" "%ProgramFiles%\Java\*" "%ProgramFiles%\Microsoft\*" "%ProgramFiles%\Zulu\*" "%ProgramFiles%\Amazon Corretto\*" "%ProgramFiles%\BellSoft\*" "%ProgramFiles%\OpenJDK\*" "%USERPROFILE%\.jdks\*") do (
    if not defined JDK call :check "%%~D"
  )
)
if not defined JDK (
  echo brt: no JDK 25 or newer found ^(looked at JAVA_HOME and the usual install folders^); install one, e.g. Eclipse Temurin 25, and set JAVA_HOME to it. 1>&2
  exit /b 1
)
set "JAVA_HOME=%JDK%"

if /i "%~1"=="test" (
  pushd "%ROOT%"
  call "%ROOT%mvnw.cmd" -B verify
  set "RC=!ERRORLEVEL!"
  popd
  exit /b !RC!
)

set "JAR=%ROOT%server-helidon\target\brt.jar"
if not exist "%JAR%" (
  echo brt: building BareMetalRT ^(once; about a minute^)... 1>&2
  pushd "%ROOT%"
  call "%ROOT%mvnw.cmd" -B -q -DskipTests install 1>&2
  popd
  if not exist "%JAR%" (
    echo brt: the build failed ^(see above^). 1>&2
    exit /b 1
  )
)
rem Vector API for the CPU kernels; native access for memory-mapped models. BRT_JAVA_OPTS adds JVM options.
rem The opens Hazelcast needs on Java 25 (cluster).
set "HAZELCAST_FLAGS=--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
rem A young generation of fixed size: adaptive sizing kept growing the heap under load, and each new page is a page
rem fault (docs/benchmarks.md, "Eighth round"). BRT_JAVA_OPTS comes after it, so an -Xmn there overrides it.
set "GC_FLAGS=-XX:+UseParallelGC -Xmn256m"
rem Backend jars dropped into BRT_BACKENDS (default: %BRT_HOME%\backends, else %USERPROFILE%\.baremetalrt\backends) join the class path.
set "BACKENDS=%BRT_BACKENDS%"
if "%BACKENDS%"=="" if not "%BRT_HOME%"=="" set "BACKENDS=%BRT_HOME%\backends"
if "%BACKENDS%"=="" set "BACKENDS=%USERPROFILE%\.baremetalrt\backends"
"%JAVA_HOME%\bin\java.exe" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED %HAZELCAST_FLAGS% %GC_FLAGS% %BRT_JAVA_OPTS% -cp "%JAR%;%BACKENDS%\*" dev.baremetalrt.cli.BrtCommand %*
exit /b %ERRORLEVEL%

:check
rem Sets JDK to %1 when it holds a JDK (javac present) whose java.specification.version is 25 or more.
if not exist "%~1\bin\javac.exe" exit /b 0
set "SPEC="
for /f "tokens=2 delims==" %%V in ('call "%~1\bin\java.exe" -XshowSettings:properties -version 2^>^&1 ^| findstr /c:"java.specification.version"') do set "SPEC=%%V"
if not defined SPEC exit /b 0
set "SPEC=!SPEC: =!"
for /f "tokens=1 delims=." %%M in ("!SPEC!") do set "MAJOR=%%M"
if !MAJOR! GEQ 25 set "JDK=%~1"
exit /b 0
