from reflekt_core.cli.app import main

main()
