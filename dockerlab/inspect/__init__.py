"""What an image or a Dockerfile holds, measured: sizes and attack surface, layers,
package databases, ELF headers, a container's processes, hadolint's findings, an SBOM
and known vulnerabilities. Imports only the core."""
