from blur.cli import main

main()
